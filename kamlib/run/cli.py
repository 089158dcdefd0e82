"""The ``kam`` command: init, validate, run, plans, clean, demo. A thin layer over kamlib."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import KamError

app = typer.Typer(
    help="The KAM workbook: run a key account management engagement from the client's data "
    "to client-ready reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _say(text: str = "") -> None:
    typer.echo(text)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder of the new engagement, e.g. data/acme.")],
    client: Annotated[str, typer.Option(help="Client name for the reports.")] = "",
    as_of: Annotated[
        str, typer.Option(help="As-of date YYYY-MM-DD (default: end of last month).")
    ] = "",
) -> None:
    """Start an engagement: a commented config and the Excel intake form to send the client."""
    import datetime as dt

    from ..core.config import render_config
    from ..core.paths import CONFIG_NAME
    from ..intake.form import write_intake

    config = folder / CONFIG_NAME
    if config.exists():
        raise KamError(
            f"{config} already exists; nothing was changed. Fix: choose a new folder "
            "or edit that config."
        )
    if as_of:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise KamError(f"--as-of '{as_of}' is not a date: write YYYY-MM-DD.") from None
    else:
        as_of = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    name = client or folder.resolve().name.replace("_", " ").replace("-", " ").title()
    header = (
        f"# Engagement config for {name}. Every setting is shown with its default;\n"
        "# delete what you do not change. Check it with: kam validate "
        f"{folder}\n\n"
    )
    text = header + render_config({"client": name, "as_of": as_of, "data": "datapack.xlsx"})
    write_intake(folder / "datapack.xlsx")
    config.write_text(text + "\n", encoding="utf-8")
    _say(f"Created {config}")
    _say(f"Created {folder / 'datapack.xlsx'}  (the intake form: send it to the client)")
    _say(f"Next: fill the form, then  kam validate {folder}  and  kam run {folder}")


@app.command()
def validate(
    engagement: Annotated[
        str, typer.Argument(help="Engagement folder, config file, or name under data/.")
    ],
) -> None:
    """Check an engagement's config and data pack; list every error and warning."""
    from ..intake.checks import analysis_findings
    from ..intake.engagement import open_engagement

    eng = open_engagement(engagement, strict=False)
    cfg, pack = eng.config, eng.pack
    findings = list(pack.findings)
    if not pack.errors and "accounts" in pack.tables and "revenue" in pack.tables:
        findings += analysis_findings(
            pack,
            cfg.as_of,
            cfg.method.trailing_months,
            cfg.method.data_review.outlier_change,
            cfg.method.data_review.examples,
        )
    _say(f"{cfg.client}: config {cfg.path}")
    _say(
        f"data pack {cfg.data} ({pack.form}); tables: "
        + ", ".join(f"{t} {len(df):,}" for t, df in pack.tables.items())
    )
    for level in ("error", "warning", "info"):
        items = [f for f in findings if f.level == level]
        if items:
            _say(f"\n{len(items)} {level}{'s' if len(items) != 1 else ''}:")
            for f in items:
                _say(f"  - {f.message}")
    errors = sum(f.level == "error" for f in findings)
    if errors:
        raise KamError(f"\nThe data pack has {errors} error(s): fix them and validate again.")
    _say("\nOK: the data pack can be analysed.")


@app.command()
def run(
    engagement: Annotated[
        str, typer.Argument(help="Engagement folder, config file, or name under data/.")
    ],
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only this step (repeat for several).")
    ] = None,
    reports: Annotated[
        Path | None, typer.Option(help="Reports folder (default: reports/ of the workbook).")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDFs.")] = True,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="Notebook parameter NAME=VALUE, e.g. -p as_of=2026-06-30."
        ),
    ] = None,
) -> None:
    """Run the engagement's notebooks and render the client reports."""
    from .runner import RunOptions, available_steps, parse_parameters, run_engagement

    t0 = time.perf_counter()
    steps = [s.name for s in available_steps()]
    _say(f"Running {engagement}: {', '.join(only or steps)}")
    with _on_interrupt():
        options = RunOptions(
            only=tuple(only or ()), reports=reports, pdf=pdf, parameters=parse_parameters(param)
        )
        result = run_engagement(engagement, options, progress=lambda line: _say(f"  {line}"))
    _finish(result, t0, engagement)


@contextlib.contextmanager
def _on_interrupt() -> Iterator[None]:
    """Ctrl-C: one line saying what was kept and exit code 130 (typer alone exits
    silently)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        import logging

        # the notebook's executor task ends with the kernel it lost; asyncio would log
        # that as a traceback when the task is collected at exit
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        typer.echo("\ninterrupted" + (f": {exc}" if str(exc) else ""), err=True)
        raise typer.Exit(130) from None


def _finish(result, t0: float, engagement: str) -> None:
    """Say where the reports are. A partial run (plans failed) lists the failures, says
    how to draft them again and exits 1; its last line says it is partial."""
    import shlex

    took = f"{time.perf_counter() - t0:.1f} s"
    failed = result.failed_plans
    if not failed:
        _say(f"Done in {took}. Reports: {result.latest}/ (to send: {result.latest}/client/)")
        return
    plans = next((s.get("plans", 0) for s in result.steps if "plans" in s), 0) + len(failed)
    _say(f"\n{len(failed)} of {plans} account plan(s) failed; the others were written:")
    for r in failed:
        kept = f"\n      executed notebook kept at {r.kept}" if r.kept else ""
        _say(f"  - {r.account_id} {r.name}: {r.error}{kept}")
    again = " ".join(f"-a {shlex.quote(str(r.account_id))}" for r in failed[:20])
    _say(f"Once fixed, draft them again with: kam plans {shlex.quote(engagement)} {again}")
    _say(
        f"PARTIAL run in {took}: {len(failed)} plan(s) failed (listed above); "
        f"everything else is in {result.latest}/"
    )
    raise typer.Exit(1)


@app.command()
def plans(
    engagement: Annotated[
        str, typer.Argument(help="Engagement folder, config file, or name under data/.")
    ],
    accounts: Annotated[
        list[str] | None,
        typer.Option(
            "--accounts",
            "-a",
            help="Key account id or exact name (repeat for several); default: every key "
            "account. The other plans are kept from the previous run.",
        ),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Parallel workers (default: one per CPU).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Send the plans to this Dask scheduler (tcp://HOST:8786). Default: "
            "$KAM_DASK_SCHEDULER, else 'local': a cluster of --jobs workers on this machine.",
        ),
    ] = None,
    inputs_template: Annotated[
        bool,
        typer.Option(
            "--inputs-template",
            help="Write the plan inputs workbook for the account managers instead of plans.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(help="With --inputs-template: replace an existing workbook (kept as .bak)."),
    ] = False,
    fact_pack: Annotated[
        bool,
        typer.Option(
            "--fact-pack",
            help="Write each key account's fact pack for the kick-off workshop (what the data "
            "says and drafts, nothing to complete) into fact-packs/, instead of the plans.",
        ),
    ] = False,
    reports: Annotated[
        Path | None, typer.Option(help="Reports folder (default: reports/ of the workbook).")
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDFs.")] = True,
    as_of: Annotated[str, typer.Option(help="As-of date YYYY-MM-DD (default: the config's).")] = "",
) -> None:
    """Draft a plan per key account (HTML + PDF) and their index, or the inputs workbook,
    or the fact packs for the kick-off."""
    from ..core.errors import ParameterError
    from .runner import RunOptions, run_engagement

    t0 = time.perf_counter()
    if fact_pack and inputs_template:
        raise ParameterError(
            "--fact-pack and --inputs-template write different things: run them one at a time."
        )
    if inputs_template:
        from ..report.plan import write_inputs_template

        path, rows = write_inputs_template(engagement, as_of=as_of, force=force)
        _say(f"Wrote {path}: {rows:,} fields for the account managers to fill.")
        _say(
            "Send it out; when it comes back filled, leave it there and run "
            f"`kam plans {engagement}` again: the plans show the texts."
        )
        return
    what, folder = ("fact packs", "fact-packs") if fact_pack else ("plans", "plans")
    _say(
        f"Drafting account {what} for {engagement}"
        + (f": {', '.join(accounts)}" if accounts else "")
    )
    with _on_interrupt():
        options = RunOptions(
            only=("fact_packs",) if fact_pack else ("account_plans",),
            reports=reports,
            pdf=pdf,
            parameters={"as_of": as_of} if as_of else {},
            accounts=tuple(accounts or ()),
            jobs=jobs,
            scheduler=scheduler,
        )
        result = run_engagement(engagement, options, progress=lambda line: _say(f"  {line}"))
    _say(f"Index: {result.latest}/{folder}/index.html")
    _finish(result, t0, engagement)


@app.command()
def deck(
    engagement: Annotated[
        str, typer.Argument(help="Engagement folder, config file, or name under data/.")
    ],
    template: Annotated[
        Path | None,
        typer.Option(
            help="The firm's PowerPoint template (.pptx): its slide masters and layouts "
            "(Title Slide, Title and Content, Two Content, Section Header) are used. "
            "Default: brand.deck_template in the config, else a built-in design."
        ),
    ] = None,
    accounts: Annotated[
        int, typer.Option(min=0, help="Key accounts with a one-slide plan, largest first.")
    ] = 3,
    reports: Annotated[
        Path | None, typer.Option(help="Reports folder (default: reports/ of the workbook).")
    ] = None,
    as_of: Annotated[str, typer.Option(help="As-of date YYYY-MM-DD (default: the config's).")] = "",
) -> None:
    """Write the steering-committee deck (editable PowerPoint) next to the reports."""
    from .runner import RunOptions, run_engagement

    t0 = time.perf_counter()
    _say(f"Building the steering-committee deck for {engagement}")
    with _on_interrupt():
        options = RunOptions(
            only=("deck",),
            reports=reports,
            parameters={"as_of": as_of} if as_of else {},
            deck_template=template,
            deck_accounts=accounts,
        )
        result = run_engagement(engagement, options, progress=lambda line: _say(f"  {line}"))
    _say(f"Deck: {result.latest}/client/steering-committee.pptx")
    _finish(result, t0, engagement)


@app.command()
def clean(
    engagement: Annotated[
        str, typer.Argument(help="Engagement folder, config file, or name under data/.")
    ],
    keep: Annotated[
        int | None,
        typer.Option(min=1, help="Also remove complete runs but the newest KEEP (latest stays)."),
    ] = None,
    reports: Annotated[
        Path | None, typer.Option(help="Reports folder (default: reports/ of the workbook).")
    ] = None,
) -> None:
    """Remove the run folders that are not complete runs (killed, failed, interrupted) and
    the work files runs left behind; with --keep, also older complete runs."""
    from ..core.config import load_config
    from ..core.paths import reports_root
    from .runs import clean as clean_runs
    from .runs import engagement_lock, runs

    config = load_config(engagement)
    root = ((reports or reports_root()) / config.name).resolve()
    with engagement_lock(root, "kam clean"):
        removed = clean_runs(root, keep)
    kept = runs(root)
    _say(removed.summary() if removed else f"Nothing to remove under {root}.")
    latest = next((r.path.name for r in kept if r.latest), "none")
    _say(f"{root}: {len(kept)} run(s) kept; latest is {latest}.")


@app.command()
def demo(
    accounts: Annotated[int, typer.Option(min=10, help="Number of business customers.")] = 1500,
    seed: Annotated[int, typer.Option(help="Seed of every random draw.")] = 42,
    form: Annotated[str, typer.Option("--format", help="csv, parquet or excel.")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="Engagement folder to create (default: data/demo).")
    ] = None,
    run_it: Annotated[
        bool, typer.Option("--run/--no-run", help="Run the engagement after generating it.")
    ] = True,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write PDFs.")] = True,
) -> None:
    """Generate the demo client (a European B2B telecom) and run its engagement."""
    from ..core.paths import CONFIG_NAME, DATA
    from ..intake.demo import draw
    from ..intake.form import write_pack

    if form not in {"csv", "parquet", "excel"}:
        raise KamError(f"--format '{form}' is not known: use csv, parquet or excel.")
    folder = (out or DATA / "demo").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tables = draw(accounts=accounts, seed=seed)
    if form == "excel":
        _fits_a_sheet(tables, accounts)
    target = folder / ("datapack.xlsx" if form == "excel" else "pack")
    write_pack(tables, target, form)
    config = folder / CONFIG_NAME
    template = DATA / "demo" / CONFIG_NAME
    if config != template.resolve() and not config.exists():
        text = template.read_text(encoding="utf-8").replace("data: pack", f"data: {target.name}")
        config.write_text(text, encoding="utf-8")
    _say(
        f"Demo client: {accounts:,} accounts, {_rows(tables['revenue']):,} revenue rows → {target} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    if run_it:
        run(str(folder), only=None, reports=None, pdf=pdf, param=None)


def _rows(table: object) -> int:
    """The rows of a demo table: a frame's, or those its blocks drew as they were written."""
    from ..intake.demo import Lines

    return table.rows if isinstance(table, Lines) else len(table)  # type: ignore[arg-type]


def _fits_a_sheet(tables: dict, accounts: int) -> None:
    """A KamError unless every demo table fits an Excel sheet (with its header and note)."""
    from ..core.excel import EXCEL_ROWS

    too_big = [n for n, t in tables.items() if not hasattr(t, "columns") or len(t) > EXCEL_ROWS - 2]
    if too_big:
        raise KamError(
            f"--format excel cannot hold {accounts:,} accounts: the {too_big[0]} table has more "
            f"rows than a sheet ({EXCEL_ROWS:,}). Use --format parquet or csv."
        )


def main() -> None:
    """Entry point: a KamError is one clear message and exit code 2, never a traceback."""
    try:
        app()
    except KamError as exc:
        typer.echo(f"error: {str(exc).strip()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt as exc:
        typer.echo("interrupted" + (f": {exc}" if str(exc) else ""), err=True)
        sys.exit(130)
    except OSError as exc:
        message = cannot_write(exc)
        if message is None:
            _internal(exc)
        typer.echo(f"error: {message}", err=True)
        sys.exit(2)
    except Exception as exc:  # a bug: say so in one line; the traceback only on request
        _internal(exc)


#: What a failed write means to the user, by errno: why, and what to do.
FREE = "free some space"
WRITABLE = "make the folder writable"
WRITE_ERRORS = {
    errno.ENOSPC: ("the disk is full", FREE),
    errno.EDQUOT: ("the disk quota is used up", FREE),
    errno.EROFS: ("the folder is read-only", WRITABLE),
    errno.EACCES: ("there is no permission to write there", WRITABLE),
    errno.EPERM: ("there is no permission to write there", WRITABLE),
}


def cannot_write(exc: OSError) -> str | None:
    """The message for a write that the machine refused (disk full, read-only folder, no
    permission), or None for any other error.

    Examples
    --------
    >>> print(cannot_write(OSError(errno.EROFS, "Read-only file system", "/r/x.pdf")))
    cannot write /r/x.pdf: the folder is read-only. Make the folder writable (or write
    the reports elsewhere with --reports DIR) and run again; what was written before is
    unchanged.
    """
    if exc.errno not in WRITE_ERRORS:
        return None
    why, fix = WRITE_ERRORS[exc.errno]
    where = exc.filename or "the output folder"
    return (
        f"cannot write {where}: {why}. {fix[0].upper()}{fix[1:]} (or write\nthe reports "
        "elsewhere with --reports DIR) and run again; what was written before is\nunchanged."
    )


def _internal(exc: BaseException) -> None:
    if os.environ.get("KAM_DEBUG"):
        raise exc
    typer.echo(
        f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in the "
        "workbook; run again with KAM_DEBUG=1 to see the details.",
        err=True,
    )
    sys.exit(1)


if __name__ == "__main__":
    main()
