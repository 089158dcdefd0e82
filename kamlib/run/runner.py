"""Run an engagement: each step's notebook through papermill, then HTML, PDF and a manifest.

A run writes into a new folder ``reports/<engagement>/<run-id>/``; only when every step
has succeeded does ``reports/<engagement>/latest`` move to it. A failed run keeps its
failed executed notebook for inspection and leaves ``latest`` as it was.

A run whose account plans partly failed is **partial**: ``latest`` moves (every report
and every other plan is current; the index marks the failed plans, which
``kam plans -a ID`` drafts again into it), the manifest says ``"status": "partial"`` and
the CLI exits 1. One run of an engagement at a time (:mod:`kamlib.run.runs`); a kernel that
dies is replaced once before its step fails.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ..core import cache as cached
from ..core import spill
from ..core.config import Config, load_config
from ..core.errors import ConfigError, Interrupted, KamError, ParameterError, RunError
from ..core.fmt import did_you_mean
from ..core.memory import give_back
from ..core.paths import NOTEBOOKS, ROOT, engagement_ref, reports_root
from ..intake.datapack import DataPack
from ..intake.engagement import Engagement, data_files, pack_key, read_pack, shared_pack
from .kernel import WarmKernel
from .runs import engagement_lock, tidy


@dataclass(frozen=True)
class Step:
    name: str
    notebook: str
    title: str
    batch: bool = False  # one report per key account, into its folder
    folder: str = ""  # a batch's folder in the run: plans/, fact-packs/
    default: bool = True  # run by `kam run` without --only
    in_process: bool = False  # built here from the step results, no notebook (the deck)


STEPS = [
    Step("data_review", "00_data_review.ipynb", "Data review"),
    Step("segmentation", "01_segmentation.ipynb", "Key account segmentation"),
    Step("service_model", "02_service_model.ipynb", "Service model"),
    Step("profitability", "03_profitability.ipynb", "Account profitability"),
    Step("account_plans", "04_account_plan.ipynb", "Account plans", batch=True, folder="plans"),
    # the plans' data part alone, for the kick-off workshops: on request (kam plans --fact-pack)
    Step(
        "fact_packs",
        "04_account_plan.ipynb",
        "Account fact packs",
        batch=True,
        folder="fact-packs",
        default=False,
    ),  # fmt: skip
    Step("kpi_review", "05_kpi_review.ipynb", "KPI review"),
    # the steering-committee deck, from the same step results: its file is its "notebook"
    Step("deck", "steering-committee.pptx", "Steering-committee deck", in_process=True),
]
PACKAGES = [
    "kamlib",
    "pandas",
    "numpy",
    "matplotlib",
    "seaborn",
    "openpyxl",
    "xlsxwriter",
    "pyarrow",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "weasyprint",
    "pyyaml",
]


def available_steps() -> list[Step]:
    """The steps whose notebook exists in this version of the workbook."""
    return [s for s in STEPS if s.in_process or (NOTEBOOKS / s.notebook).is_file()]


def select_steps(only: list[str] | None) -> list[Step]:
    steps = available_steps()
    if not only:
        return [s for s in steps if s.default]
    names = {s.name: s for s in steps}
    unknown = [o for o in only if o not in names]
    if unknown:
        hint = did_you_mean(unknown[0], names)
        raise ParameterError(f"Unknown step '{unknown[0]}'.{hint} Steps: {', '.join(names)}.")
    return [s for s in steps if s.name in only]


def declared_parameters(notebook: Path) -> dict[str, Any]:
    """The notebook's parameters with their default values (``None`` when not a literal)."""
    import papermill as pm

    out: dict[str, Any] = {}
    for name, p in pm.inspect_notebook(str(notebook)).items():
        try:
            out[name] = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError):
            out[name] = None
    return out


def _typed(name: str, value: Any, default: Any) -> Any:
    """``value`` (text from the command line) as the type of the notebook's default."""
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}[
                value.strip().lower()
            ]
        if isinstance(default, int | float):
            return type(default)(value.strip())
        typed = ast.literal_eval(value.strip())  # a list or a dict, written as Python
        if not isinstance(typed, type(default)):
            raise ValueError(value)
        return typed
    except (KeyError, ValueError, SyntaxError):
        kind = {bool: "true or false", int: "a whole number", float: "a number",
                list: "a list such as [12, 24]", dict: "a dict such as {'a': 1}"}  # fmt: skip
        raise ParameterError(
            f"Parameter '{name}' must be {kind.get(type(default), type(default).__name__)}, "
            f"not '{value}' (its default is {default!r})."
        ) from None


def check_parameters(notebook: Path, params: dict) -> dict:
    """``params`` typed like the notebook's defaults; a name the notebook does not declare
    is an error with a did-you-mean (papermill itself only warns)."""
    declared = declared_parameters(notebook)
    for name in params:
        if name not in declared:
            hint = did_you_mean(name, declared)
            raise ParameterError(
                f"{notebook.name} has no parameter '{name}'.{hint} "
                f"Its parameters: {', '.join(declared)}."
            )
    return {name: _typed(name, value, declared[name]) for name, value in params.items()}


#: The most period ends a KPI review shows (ten years of months).
MAX_PERIODS = 120


def _check_values(params: dict, pack: DataPack) -> None:
    """Refuse, before a run starts, parameter values a notebook would fail on."""
    from ..method.kpi_review import FREQS

    period = params.get("period")
    if period and period not in FREQS:
        raise ParameterError(
            f"Parameter period='{period}' is not known: use {', '.join(FREQS)} "
            "(empty: the config's)."
        )
    periods = params.get("periods", 0)
    if periods < 0 or periods > MAX_PERIODS:
        raise ParameterError(
            f"Parameter periods={periods} is out of range: use 0 (the config's) to "
            f"{MAX_PERIODS} (ten years of months)."
        )
    account = params.get("account")
    if account:
        acc = pack["accounts"]
        known = set(acc["account_id"].astype(str)) | set(acc["account_name"].astype(str))
        if account not in known:
            hint = did_you_mean(account, sorted(known), n=3)
            raise ParameterError(
                f"Parameter account='{account}' is neither an account id nor an account "
                f"name in the accounts table.{hint}"
            )


def step_parameters(
    steps: list[Step], params: dict, pack: DataPack | None = None
) -> dict[str, dict]:
    """Each step's notebook parameters: those of ``params`` its notebook declares, typed
    like its defaults (``-p periods=4`` is the number 4). A name that no step of the run
    declares, a value of the wrong type or a value a notebook would refuse is an error
    before anything runs. The plan batch takes ``as_of`` only (accounts: ``--accounts``)."""
    out: dict[str, dict] = {}
    taken: set[str] = set()
    names: list[str] = []
    for step in steps:
        # the batch passes as_of on (as text) and sets the account itself
        declared = (
            {"as_of": None}
            if step.batch or step.in_process
            else declared_parameters(NOTEBOOKS / step.notebook)
        )
        names += [n for n in declared if n not in names and n not in RESERVED]
        mine = {k: v for k, v in params.items() if k in declared}
        out[step.name] = {k: _typed(k, v, declared[k]) for k, v in mine.items()}
        taken |= set(mine)
    for name in params:
        if name not in taken:
            hint = did_you_mean(name, names)
            if name == "account" and any(s.batch for s in steps):
                hint = " The account plans take their accounts from --accounts."
            which = (
                f"{steps[0].notebook} has no parameter"
                if len(steps) == 1
                else "No step of this run has a parameter"
            )
            raise ParameterError(
                f"{which} '{name}'.{hint} Parameters: {', '.join(names) or 'none'}."
            )
    if pack is not None:
        for typed in out.values():
            _check_values(typed, pack)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_files(config: Config) -> dict[str, str]:
    """Every input file of the run with its SHA-256: the config and the data pack."""
    files = [config.path, *data_files(config)]
    if config.brand.logo:
        files.append(Path(config.brand.logo))
    home = config.path.parent  # keyed relative to the engagement's folder, not this machine
    return {os.path.relpath(p, home): _sha256(p) for p in files}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[p] = metadata.version(p)
    return out


@contextlib.contextmanager
def _kernel_stderr_to(log: Path) -> Iterator[None]:
    """Send what kernels print on stderr to a log file, not to the consultant's terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    with log.open("ab") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _unplace(log: Path, run: Path) -> None:
    """The kernel log without this machine's paths (a kernel's traceback names the files
    of the installation): the run folder, the workbook's folder and the home folder are
    written relative, as everything else a run writes."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    out = text
    for path, short in ((run.resolve(), "."), (ROOT, "."), (Path.home(), "~")):
        out = out.replace(f"{path}{os.sep}", f"{short}{os.sep}").replace(str(path), short)
    if out != text:
        with contextlib.suppress(OSError):
            log.write_text(out, encoding="utf-8")


def _new_run_dir(root: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(100):
        run = root / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            run.mkdir(parents=True)
            return run
        except FileExistsError:
            continue
    raise RunError(f"Cannot create a run folder under {root}.")


def _carry_over(root: Path, run: Path, others: list[Step]) -> dict[str, str]:
    """Copy the deliverables of steps not run this time from the previous ``latest``.

    So ``latest`` always holds the newest report of every step; the manifest records
    which run each carried-over step comes from.
    """
    previous = root / "latest"
    if not previous.exists():
        return {}
    try:
        old = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    origin = {**old.get("carried_over", {})}
    for entry in old.get("steps", []):
        origin[entry["step"]] = old.get("run_id", "")
    carried = {}
    for step in others:
        if step.batch:
            if (previous / step.folder).is_dir():
                _link_tree(previous / step.folder, run / step.folder)
                carried[step.name] = origin.get(step.name, os.readlink(previous))
            continue
        files = sorted(previous.glob(f"{Path(step.notebook).stem}.*"))
        if not files:
            continue
        for f in files:
            shutil.copy2(f, run / f.name)
        carried[step.name] = origin.get(step.name, os.readlink(previous))
    return carried


CLIENT = "client"  # what is sent to the client, beside the audit trail


def _link_tree(src: Path, dst: Path) -> None:
    """Copy a folder of deliverables by hard links where possible (files are replaced,
    never rewritten in place, so the previous run keeps its own)."""

    shutil.copytree(src, dst, copy_function=_link, dirs_exist_ok=True)


def _point_latest(root: Path, run: Path) -> None:
    link = root / "latest"
    tmp = root / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(run.name, target_is_directory=True)
    os.replace(tmp, link)


def _check_plans(engagement: Engagement, accounts: list[str] | None) -> None:
    """Fail before anything is written when the plan inputs workbook is bad, a named
    account has no plan (not a key account) or $KAM_CHROMIUM names no browser. The plan
    book computed here is reused."""
    from ..method.plan_book import find_account, open_book
    from ..render.chromium import ChromiumError, find

    try:
        find()
    except ChromiumError as exc:
        raise ConfigError(str(exc)) from None
    book = open_book(engagement)
    for a in accounts or []:
        find_account(book, a)


def _run_plans(job: _Job, run: Path, step: Step) -> dict:
    from ..core.fmt import plural
    from .plans import KINDS, BatchOptions, render_plans

    root, o, progress = job.root, job.options, job.progress
    t0 = time.perf_counter()
    folder = run / step.folder
    fact_pack = step.name == "fact_packs"
    if o.accounts and (root / "latest" / step.folder).is_dir():
        # the other plans stay as they were
        _link_tree(root / "latest" / step.folder, folder)
        for stale in ("index.html", "index.pdf"):
            (folder / stale).unlink(missing_ok=True)
    batch_options = BatchOptions(
        accounts=tuple(o.accounts),
        jobs=o.jobs,
        pdf=o.pdf,
        as_of=o.parameters.get("as_of", ""),
        fact_pack=fact_pack,
        scheduler=o.scheduler,
    )
    with _kernel_stderr_to(run / "kernel.log"):
        batch = render_plans(job.engagement, folder, batch_options, _every_tenth(progress))
    done = len(batch.results) - len(batch.failed)
    took = time.perf_counter() - t0
    engines = " and ".join(batch.engines)
    one = KINDS[fact_pack][2]
    progress(
        f"{step.title.lower():<28} {took:6.1f} s  → {plural(done, one)} (html"
        + ((f", pdf by {engines}" if engines else ", pdf") if o.pdf else "")
        + f") and {step.folder}/index"
        + (f"; {len(batch.failed)} FAILED" if batch.failed else "")
    )
    for note in batch.notes:
        progress(f"{'':<28} note: PDFs printed by WeasyPrint because {note}")
    return {
        "step": step.name,
        "notebook": step.notebook,
        "seconds": round(took, 2),
        "plans": done,
        "pdf_engine": engines,
        "failed": [
            {
                "account_id": r.account_id,
                "error": r.error,
                "kept": os.path.relpath(r.kept, run) if r.kept else "",
            }
            for r in batch.failed
        ],
        "outputs": [f"{step.folder}/{p.name}" for p in batch.index],
        "_failed": batch.failed,
    }


def kernel_lost(exc: BaseException) -> bool:
    """True when a notebook stopped because its kernel did (it died on start, was killed,
    ran out of memory), not because a cell raised or a write was refused: such a run is
    worth one more try.

    Examples
    --------
    >>> kernel_lost(RuntimeError("Kernel died before replying to kernel_info"))
    True
    >>> kernel_lost(OSError(28, "No space left on device"))
    False
    """
    from papermill.exceptions import PapermillExecutionError

    refused = (PapermillExecutionError, KamError, OSError)  # a cell's error, a full disk
    return isinstance(exc, Exception) and not isinstance(exc, refused)


def _execute(
    step: Step, executed: Path, parameters: dict, progress, cwd: Path, kernel: WarmKernel
) -> None:
    """Execute a step's notebook in the run's kernel (started in ``cwd``, the run
    folder); a kernel that dies (on start or later) is replaced by a fresh one once
    before the step counts as failed. The executed notebook records where it came from
    relative to the workbook, not as this machine's paths; so does the kernel's log."""
    try:
        _run_notebook(step, executed, parameters, progress, kernel)
    finally:
        if kernel.log is not None:
            _unplace(kernel.log, cwd)


def _run_notebook(
    step: Step, executed: Path, parameters: dict, progress, kernel: WarmKernel
) -> None:
    from papermill.exceptions import PapermillExecutionError

    from .kernel import parameterized, read_notebook

    read = read_notebook(NOTEBOOKS / step.notebook)
    for attempt in (1, 2):
        nb = parameterized(read, parameters)
        t0 = time.perf_counter()
        try:
            kernel.execute(nb)
        except PapermillExecutionError as exc:  # a cell's error: its outputs are kept
            _write_executed(nb, executed, step, time.perf_counter() - t0, exc)
            raise _failure(step, executed, exc) from None
        except Exception as exc:
            if attempt == 1 and kernel_lost(exc):
                progress(
                    f"{step.notebook:<28} the kernel stopped ({type(exc).__name__}); "
                    "once more with a fresh kernel"
                )
                kernel.start()
                continue
            _write_executed(nb, executed, step, time.perf_counter() - t0, exc)
            raise _failure(step, executed, exc) from None
        _write_executed(nb, executed, step, time.perf_counter() - t0)
        return


def _write_executed(
    nb, executed: Path, step: Step, seconds: float, error: Exception | None = None
) -> None:
    """The executed notebook, with papermill's record of the run: where it came from
    (relative to the workbook, not this machine's paths), how long it took, whether it
    failed."""
    import nbformat

    record = nb.metadata.setdefault("papermill", {})
    record["input_path"] = f"notebooks/{step.notebook}"
    record["output_path"] = executed.name
    record["duration"] = round(seconds, 3)
    record["exception"] = error is not None
    nbformat.write(nb, executed)


def client_folder(run: Path) -> list[str]:
    """Put what the client is sent in ``run/client``: each report's PDF (its HTML when no
    PDF was made) and workbook, and the account plans (and fact packs) with their index
    the same way. The audit trail (executed notebooks, kernel log, manifest) stays beside
    it. Files are hard links where the file system allows (no second copy). Returns the
    files, relative to the folder."""
    out = run / CLIENT
    shutil.rmtree(out, ignore_errors=True)
    sent = []
    batches = [(run / s.folder, "*") for s in STEPS if s.batch]
    decks = [(run, s.notebook) for s in STEPS if s.in_process]
    for folder, pattern in [(run, "[0-9][0-9]_*"), *batches, *decks]:
        for f in sorted(folder.glob(pattern)):
            pdf = f.with_suffix(".pdf")
            sent_as_is = f.suffix in (".pdf", ".xlsx", ".pptx")
            if sent_as_is or (f.suffix == ".html" and not pdf.exists()):
                target = out / f.relative_to(run)
                target.parent.mkdir(parents=True, exist_ok=True)
                _link(f, target)
                sent.append(str(target.relative_to(out)))
    return sent


def _link(a: str | Path, b: str | Path) -> None:
    """A hard link of ``a`` at ``b``, or a copy where the file system has none."""
    try:
        os.link(a, b)
    except OSError:
        shutil.copy2(a, b)


def _every_tenth(progress: Callable[[str], None]) -> Callable[[str], None]:
    """Pass on every failure and about ten progress lines per batch, not one per plan."""
    state = {"n": 0}

    def say(line: str) -> None:
        state["n"] += 1
        if "FAILED" in line or state["n"] % 10 == 0:
            progress(line.strip())

    return say


def _failure(step: Step, executed: Path, exc: Exception) -> RunError:
    cell = getattr(exc, "cell_index", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = f" in cell {cell + 1}" if isinstance(cell, int) else ""
    source = ""
    with contextlib.suppress(Exception):
        import nbformat

        nb = nbformat.read(executed, as_version=4)
        for c in nb.cells:
            if any(o.get("output_type") == "error" for o in c.get("outputs", [])):
                first = c.source.strip().splitlines()[0] if c.source.strip() else ""
                source = f" (`{first[:60]}`)"
                break
    if ename in {"DataPackError", "ConfigError", "ParameterError", "KamError"}:
        reason = evalue
    else:
        reason = f"{ename}: {evalue}"
    return RunError(
        f"{step.notebook} failed{where}{source}: {reason}\n"
        f"The executed notebook is kept at {executed} for inspection; the previous "
        "'latest' reports are unchanged."
    )


@dataclass
class RunResult:
    run_dir: Path
    latest: Path
    steps: list[dict] = field(default_factory=list)
    failed_plans: list = field(default_factory=list)  # PlanResult of each plan that failed
    status: str = "running"  # succeeded, or partial when plans failed (latest moves)


RESERVED = {"engagement", "output_dir", "cache"}


def parse_parameters(pairs: list[str] | None) -> dict[str, str]:
    """``["as_of=2026-06-30"]`` -> ``{"as_of": "2026-06-30"}``; reserved names are refused."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ParameterError(f"Parameter '{pair}' is not NAME=VALUE (e.g. as_of=2026-06-30).")
        if name in RESERVED:
            how = {
                "engagement": "pass the engagement as the argument",
                "output_dir": "pass --reports for the output folder",
                "cache": "it hands each notebook the data pack it read once",
            }[name]
            raise ParameterError(f"Parameter '{name}' is set by the runner; {how}.")
        out[name] = value
    return out


@dataclass(frozen=True)
class RunOptions:
    """What a run is asked to do (``kam run`` and ``kam plans`` build one).

    ``only``: these steps (default: every step); ``reports``: the folder that receives
    ``<engagement>/<run-id>/`` (default: ``reports/`` or ``$KAM_REPORTS``); ``pdf``: print
    the PDFs too; ``parameters``: notebook parameters as text (``-p NAME=VALUE``);
    ``accounts``: limit the account plans to these key accounts (the others are carried
    over from the previous run); ``jobs``: plan workers (default: one per CPU);
    ``scheduler``: the Dask scheduler the plans are sent to (see :mod:`kamlib.run.cluster`).
    """

    only: tuple[str, ...] = ()
    reports: str | Path | None = None
    pdf: bool = True
    parameters: dict[str, str] = field(default_factory=dict)
    accounts: tuple[str, ...] = ()
    jobs: int | None = None
    scheduler: str | None = None
    deck_template: str | Path | None = None  # the firm's .pptx (default: the config's)
    deck_accounts: int = 3  # the deck's one-slide account plans, largest first


def run_engagement(
    engagement: str | Path,
    options: RunOptions | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> RunResult:
    """Run an engagement's steps into a new run folder and point ``latest`` at it.

    Raises :class:`KamError` subclasses for bad input (before anything is written) and
    :class:`RunError` when a step's notebook fails; a failing account plan does not stop
    the others (``RunResult.failed_plans``).
    """
    o = options or RunOptions()
    as_of = o.parameters.get("as_of", "")
    config = load_config(engagement, overrides={"as_of": as_of})
    steps = select_steps(list(o.only) or None)
    if not steps:
        raise RunError("This workbook has no step notebooks to run.")
    root = (Path(o.reports) if o.reports else reports_root()) / config.name
    # a large client's line tables: their numbers in files of the run, mapped (the
    # kernels map the same files), removed when the run ends, whatever happens
    store = spill.Store(root)
    try:
        return _run_engagement(config, steps, o, root, store, progress)
    finally:
        store.close()


def _run_engagement(
    config: Config, steps: list[Step], o: RunOptions, root: Path, store: spill.Store,
    progress: Callable[[str], None],
) -> RunResult:  # fmt: skip
    """:func:`run_engagement` once its steps are known and its store is open."""
    engagement_ = Engagement(config, read_pack(config, store=store))  # read once, handed down
    per_step = step_parameters(steps, dict(o.parameters), engagement_.pack)
    params = {"engagement": config.name}  # the manifest's record: no path of this machine
    for typed in per_step.values():
        params.update(typed)
    if any(s.batch for s in steps):
        _check_plans(engagement_, list(o.accounts))
    if any(s.in_process for s in steps):  # a bad template fails before anything is written
        from ..render.slides import open_template

        open_template(o.deck_template or config.brand.deck_template)
    job = _Job(engagement_, root.resolve(), steps, per_step, params, o, progress)
    what = "kam plans" if all(s.batch for s in steps) else "kam run"
    with engagement_lock(job.root, what):
        removed = tidy(job.root)
        if removed:
            progress(removed.summary())
        for left in spill.stale(job.root):  # a killed run's columns
            shutil.rmtree(left, ignore_errors=True)
        return _run_steps(job)


@dataclass
class _Job:
    """What a run was asked to do, checked: the input of :func:`_run_steps`."""

    engagement: Engagement
    root: Path
    steps: list[Step]
    per_step: dict[str, dict]
    params: dict
    options: RunOptions
    progress: Callable[[str], None]
    _pack_file: Path | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        return self.engagement.config

    @property
    def pack(self) -> DataPack:
        return self.engagement.pack

    def hand_over(self, pack_file: Path | None) -> None:
        """While a notebook step runs, its kernel holds the pack: this process lets go of
        its own copy when the kernels can read it from ``pack_file`` (a large client's
        pack is not held twice)."""
        if pack_file is not None and self.engagement.pack is not None:
            self._pack_file = pack_file
            self.engagement.pack = None  # type: ignore[assignment]
            give_back()

    def take_back(self) -> None:
        """The pack again in this process (for the plan book and the deck): from the
        run's file, read once at the start."""
        if self.engagement.pack is None:
            saved = cached.load(self._pack_file, pack_key(self.config))
            self.engagement.pack = saved or read_pack(self.config)


def _manifest(job: _Job, run: Path, started: dt.datetime) -> dict[str, Any]:
    """The run's record, written beside its reports: what ran, on which inputs (with
    their checksums), with which versions; its steps are added as they finish."""
    config = job.config
    return {
        "engagement": config.name,
        "client": config.client,
        "run_id": run.name,
        "as_of": config.as_of.isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "status": "running",
        "parameters": {**job.params, "output_dir": "."},
        "inputs": input_files(config),
        "versions": versions(),
        "steps": [],
    }


def _run_step(
    step: Step, job: _Job, run: Path, pack_file: Path | None, kernel: WarmKernel
) -> Callable[[], dict]:
    """One step's notebook executed in the run's kernel; returns what renders it to
    HTML (and PDF) and gives its manifest entry."""
    from ..render.pages import render, report_meta

    t0 = time.perf_counter()
    config = job.config
    executed = run / step.notebook
    # the kernel runs in the run folder: every path it is handed (and so every path the
    # executed notebook records) is relative to it, none of this machine's
    parameters = {
        "engagement": engagement_ref(config.path, run),
        **job.per_step[step.name],
        "output_dir": ".",
        "cache": pack_file.name if pack_file else "",
    }
    _execute(step, executed, parameters, job.progress, run, kernel)
    executing = time.perf_counter() - t0
    meta = report_meta(config, step.title)

    def rendered() -> dict:
        from ..core.excel import write_handed

        t1 = time.perf_counter()
        if write_handed(run, executed.stem):  # the workbooks its kernel handed over
            give_back()  # what writing them took, before the pages are laid out
        outputs = render(executed, run, meta, pdf=job.options.pdf)
        give_back()  # what laying out the pages took, while the next step runs
        rendering = time.perf_counter() - t1
        exports = sorted(p.name for p in run.glob(f"{executed.stem}*.xlsx"))
        written = [p.name for p in outputs] + exports
        kinds = ", ".join(Path(o).suffix.lstrip(".") for o in written)
        job.progress(f"{step.notebook:<28} {executing + rendering:6.1f} s  → {kinds}")
        return {
            "step": step.name,
            "notebook": step.notebook,
            "execute_seconds": round(executing, 2),
            "render_seconds": round(rendering, 2),
            "outputs": [executed.name, *written],
        }

    return rendered


def _run_deck(job: _Job, run: Path, step: Step) -> dict:
    """The steering-committee deck, built in this process from the step results."""
    from .deck import write_deck

    t0 = time.perf_counter()
    o = job.options
    path = write_deck(job.engagement, run / step.notebook, o.deck_template, o.deck_accounts)
    took = time.perf_counter() - t0
    job.progress(f"{step.notebook:<28} {took:6.1f} s  → pptx")
    return {"step": step.name, "seconds": round(took, 2), "outputs": [path.name]}


def _each_step(
    job: _Job, run: Path, pack_file: Path | None, ahead: tuple, record, result: RunResult
) -> None:
    """Every step in its order: the notebooks one after another in the run's kernel, a
    notebook's report rendered while the next notebook runs (``ahead``: the kernel and
    the renders); the plans and the deck wait for the reports before them."""
    kernel, renders = ahead
    for step in job.steps:
        if step.batch:
            record(renders.done())
            job.take_back()
            entry = _run_plans(job, run, step)
            result.failed_plans = entry.pop("_failed")
        elif step.in_process:
            record(renders.done())
            job.take_back()
            entry = _run_deck(job, run, step)
        else:
            job.hand_over(pack_file)
            renders.send(_run_step(step, job, run, pack_file, kernel))
            if not _next_is_notebook(job.steps, step):
                kernel.stop()  # its memory back before the plans or the deck
            continue
        record([entry])
    record(renders.done())


def _next_is_notebook(steps: list[Step], step: Step) -> bool:
    after = steps[steps.index(step) + 1 :]
    return bool(after) and not (after[0].batch or after[0].in_process)


def _run_steps(job: _Job) -> RunResult:
    """The run itself, under the engagement's lock: a new run folder, each step, the
    manifest, then ``latest``. A step's report renders while the next step runs, and the
    notebooks run one after another in one kernel, started (and importing the libraries)
    while the pack is saved for it (:mod:`.pipeline`)."""
    from .pipeline import WARM_UP, Renders

    config, root = job.config, job.root
    run = _new_run_dir(root)
    started = dt.datetime.now()
    manifest = _manifest(job, run, started)
    result = RunResult(run_dir=run, latest=root / "latest")
    shared = contextlib.ExitStack()  # the parsed pack, for the kernels: read once per run
    kernel = WarmKernel(run, run / "kernel.log", setup=WARM_UP)
    shared.callback(_unplace, run / "kernel.log", run)  # what it printed as it ended, too
    shared.callback(kernel.stop)
    renders = shared.enter_context(contextlib.closing(Renders()))

    def record(entries: list[dict]) -> None:
        manifest["steps"].extend(entries)
        result.steps.extend(entries)

    try:
        notebooks = [s for s in job.steps if not (s.batch or s.in_process)]
        if notebooks:  # its libraries load while the pack is saved for it
            kernel.start(wait=False)
        pack_file = shared.enter_context(shared_pack(config, job.pack, run))
        if pack_file is not None:  # the plan book and the deck start from the steps' results
            job.engagement.run_folder = run
        _each_step(job, run, pack_file, (kernel, renders), record, result)
        manifest["carried_over"] = _carry_over(
            root, run, [s for s in available_steps() if s not in job.steps]
        )
        manifest["sent"] = client_folder(run)
        manifest["status"] = result.status = "partial" if result.failed_plans else "succeeded"
    except KamError as exc:
        manifest["status"] = "failed"
        manifest["error"] = str(exc)
        raise
    except Exception as exc:  # a refused write, a bug: a failed run, never "running"
        manifest["status"] = "failed"
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        raise
    except KeyboardInterrupt:
        manifest["status"] = "interrupted"
        raise Interrupted(
            f"the incomplete run is kept in {run}; {root / 'latest'} is unchanged."
        ) from None
    finally:
        with contextlib.suppress(Exception):  # the reports rendered before a failure
            record(renders.done())
        shared.close()
        from ..core.excel import HANDED

        for handed in run.glob(f"{HANDED}*"):  # a failed step's, never written
            handed.unlink(missing_ok=True)
        manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
        (run / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    _point_latest(root, run)
    return result
