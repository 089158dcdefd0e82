"""Where things live. Every path the workbook uses comes from here, never from the cwd."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = ROOT / "templates"
DATA = ROOT / "data"
CONFIG_NAME = "engagement.yml"
#: Arguments of every kernel the workbook starts: no IPython history database, so no
#: parameter cell (client account ids, paths) is left outside the reports folder.
KERNEL_ARGS = ["--HistoryManager.enabled=False"]


def reports_root() -> Path:
    """Folder that receives ``<engagement>/<run-id>/``; ``KAM_REPORTS`` overrides it."""
    return Path(os.environ.get("KAM_REPORTS") or ROOT / "reports").resolve()


def engagement_ref(config: str | os.PathLike, start: str | os.PathLike) -> str:
    """How a kernel started in ``start`` names the engagement whose config file is
    ``config``: by its name when it lives in the workbook's ``data/``
    (``data/<name>/engagement.yml``), else by the config's path relative to ``start`` —
    never a path of this machine.

    Examples
    --------
    >>> engagement_ref(DATA / "demo" / CONFIG_NAME, ROOT / "reports" / "demo" / "run")
    'demo'
    """
    path = Path(config).resolve()
    if path.name == CONFIG_NAME and path.parent.parent == DATA.resolve():
        return path.parent.name
    return os.path.relpath(path, Path(start).resolve())


def resolve_engagement(ref: str | os.PathLike) -> Path:
    """Find an engagement's config file from a folder, a YAML file or a bare name.

    A bare name (``demo``) means ``data/<name>/engagement.yml`` in the workbook.

    Examples
    --------
    >>> resolve_engagement("demo").name
    'engagement.yml'
    """
    text = str(ref).strip()
    if not text:
        raise ConfigError("No engagement given: pass a folder, a YAML file or a name under data/.")
    path = Path(text).expanduser()
    candidates = []
    if path.suffix.lower() in {".yml", ".yaml"}:
        candidates.append(path)
    else:
        candidates += [path / CONFIG_NAME, path / "engagement.yaml"]
        if not path.is_absolute() and len(path.parts) == 1:
            candidates += [DATA / text / CONFIG_NAME]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    known = sorted(p.parent.name for p in DATA.glob(f"*/{CONFIG_NAME}"))
    hint = f" Engagements under data/: {', '.join(known)}." if known else ""
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"No engagement config found for '{text}' (looked for {looked})."
        f"{hint} Fix: pass the engagement folder, or create one with `kam init DIR`."
    )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A crash or an error never leaves a half-written deliverable where a good one was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
