"""Chromium's headless shell as the PDF engine of the plan batch.

WeasyPrint lays out the reports: books with a cover and a contents list whose page
numbers come from CSS (``target-counter``), which no browser prints. The plan batch
prints hundreds of short documents with the same template and stylesheet, and there a
browser is several times cheaper per page: `kam plans` uses Chromium's headless shell
when it is installed (``chromium-headless-shell``, Debian's package; `make` installs it)
and WeasyPrint otherwise. Both honour the stylesheet's paged media (page size, margins,
running head, page numbers), so a plan looks the same from either.

One browser per worker process, driven over the DevTools protocol on a pipe (the
browser reads commands on fd 3 and answers on fd 4, each message JSON ending in a NUL
byte): no port, no websocket, no extra package. JavaScript is off (reports have none)
and every call has a timeout, so a stuck or dead browser is an error, never a hang.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path

#: Looked up on PATH in this order; ``$KAM_CHROMIUM`` names another browser. The
#: headless shell first: it is built for printing and automation and costs a fraction
#: of a full browser per page.
EXECUTABLES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
ENV = "KAM_CHROMIUM"
OFF = {"off", "none", "no", "0", "weasyprint"}
INSTALL_HINT = (
    "install Chromium's headless shell (Debian: apt-get install chromium-headless-shell; "
    "`make setup` does it) or set KAM_CHROMIUM to a Chromium or Chrome executable"
)

FLAGS = (
    "--headless",
    "--no-sandbox",  # run as root in containers; the pages are our own reports, scripts off
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers have a small /dev/shm
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--font-render-hinting=none",  # text measured as printed, not hinted for a screen
    "--remote-debugging-pipe",
    # one process for the browser, its page and its drawing: a fifth less CPU per page
    # than a renderer and a GPU process talking to the browser (benchmarks/plans.py),
    # the same PDF bytes; a crash ends the whole browser, and the batch starts another
    "--single-process",
    "--no-zygote",
    "--in-process-gpu",
    "--disable-software-rasterizer",
)


class ChromiumError(RuntimeError):
    """The browser could not start, stopped, refused a page or did not answer in time."""


def find(executable: str | None = None) -> str | None:
    """The browser to print with: ``executable``, else ``$KAM_CHROMIUM``, else the first
    of :data:`EXECUTABLES` on the PATH; ``None`` when there is none or when
    ``KAM_CHROMIUM=off`` (print with WeasyPrint). A named browser that is not there is
    an error, not a silent change of engine."""
    named = (executable or os.environ.get(ENV, "")).strip()
    if named.lower() in OFF:
        return None
    if named:
        path = shutil.which(named)
        if not path:
            raise ChromiumError(
                f"{ENV}={named} is not an executable: {INSTALL_HINT}, "
                f"or set {ENV}=off to print the plans with WeasyPrint."
            )
        return path
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless browser with one page, printing HTML files to PDF bytes; a context
    manager (``with Browser() as b: pdf = b.print_pdf(path, created=day)``)."""

    def __init__(
        self, executable: str | None = None, timeout: float = 60.0, scratch: str | None = None
    ):
        """``scratch``: the folder for the browser's profile (default: the system's
        temporary folder); the profile is removed on :meth:`close`."""
        path = find(executable)
        if not path:
            raise ChromiumError(f"no Chromium found: {INSTALL_HINT}")
        self.executable = path
        self.timeout = timeout
        self.pid = 0
        self._profile = tempfile.mkdtemp(prefix="kam-chromium-", dir=scratch)
        self._buf = b""
        self._id = 0
        self._events: list[dict] = []
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    # --- process and protocol ------------------------------------------------------

    def _start(self) -> None:
        commands_r, self._w = os.pipe()  # we write, the browser reads on fd 3
        self._r, answers_w = os.pipe()  # the browser writes on fd 4, we read
        null = os.open(os.devnull, os.O_RDWR)
        actions = [
            (os.POSIX_SPAWN_DUP2, null, 0),
            (os.POSIX_SPAWN_DUP2, null, 1),
            (os.POSIX_SPAWN_DUP2, null, 2),
            (os.POSIX_SPAWN_DUP2, commands_r, 3),
            (os.POSIX_SPAWN_DUP2, answers_w, 4),
        ]
        argv = [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        try:
            # its own process group, so that closing it ends its renderer processes too
            self.pid = os.posix_spawn(self.executable, argv, os.environ, file_actions=actions,
                                      setsid=True)  # fmt: skip
        except OSError as exc:
            raise ChromiumError(f"could not start {self.executable}: {exc}") from exc
        finally:
            for fd in (null, commands_r, answers_w):
                os.close(fd)
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self._call("Page.enable", session=True)
        self._call("Emulation.setScriptExecutionDisabled", session=True, value=True)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise ChromiumError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise ChromiumError("Chromium stopped unexpectedly")
            self._buf += chunk
        message, _, self._buf = self._buf.partition(b"\0")
        return json.loads(message)

    def _call(self, method: str, session: bool = False, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        try:
            os.write(self._w, json.dumps(message).encode() + b"\0")
        except OSError as exc:
            raise ChromiumError(f"Chromium stopped unexpectedly ({exc.strerror})") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error'].get('message', answer)}")
                return answer.get("result", {})
            self._events.append(answer)

    def _wait_for(self, event: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, e in enumerate(self._events):
                if e.get("method") == event and e.get("sessionId") == self._session:
                    return self._events.pop(i)
            self._events.append(self._read(deadline))

    # --- printing ------------------------------------------------------------------

    def print_pdf(self, html: str | Path, created: dt.date | None = None) -> bytes:
        """The PDF of an HTML file, paged by its stylesheet (``@page``). ``created``
        replaces the printing time in the PDF's dates, so that the same report gives the
        same bytes. Links to files beside it stay relative (:func:`relative_links`)."""
        self._events.clear()
        nav = self._call("Page.navigate", session=True, url=Path(html).resolve().as_uri())
        if nav.get("errorText"):
            raise ChromiumError(f"could not open {Path(html).name}: {nav['errorText']}")
        self._wait_for("Page.loadEventFired")
        result = self._call(
            "Page.printToPDF",
            session=True,
            printBackground=True,
            preferCSSPageSize=True,
            displayHeaderFooter=False,
            generateTaggedPDF=False,
        )
        pdf = relative_links(base64.b64decode(result["data"]), Path(html).resolve().parent)
        return set_dates(pdf, created) if created else pdf

    def close(self) -> None:
        """End the browser (and its renderer processes) and remove its profile."""
        if self.pid:
            with contextlib.suppress(Exception):
                self._call("Browser.close")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):
                    if os.waitpid(self.pid, os.WNOHANG)[0]:
                        break
                time.sleep(0.02)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        for fd in ("_r", "_w"):
            with contextlib.suppress(AttributeError, OSError):
                os.close(getattr(self, fd))
                delattr(self, fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def relative_links(pdf: bytes, folder: Path) -> bytes:
    """Links to files in ``folder`` made relative again: Chromium writes a relative link
    as an absolute ``file://`` address, which names this machine's folders and breaks
    once the files move. The link keeps its length (the rest padded with spaces between
    tokens), so the file's cross-reference offsets stay right.

    >>> relative_links(b"/URI (file:///tmp/plans/C-1.pdf)>>", Path("/tmp/plans"))
    b'/URI (C-1.pdf)                  >>'
    >>> relative_links(b"/URI (https://example.com/x)", Path("/tmp/plans"))
    b'/URI (https://example.com/x)'
    """
    prefix = re.escape(folder.as_uri().encode() + b"/")

    def local(m: re.Match) -> bytes:
        return b"/URI (" + m.group(1) + b")" + b" " * (len(m.group(0)) - len(m.group(1)) - 7)

    return re.sub(rb"/URI \(" + prefix + rb"([^()\\/]*)\)", local, pdf)


_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def set_dates(pdf: bytes, day: dt.date) -> bytes:
    """Set the PDF's creation and modification dates to ``day`` (midnight). The dates
    keep their length, so the file's cross-reference offsets stay right.

    >>> set_dates(b"/CreationDate (D:20261123071640+00'00')", dt.date(2026, 9, 30))
    b"/CreationDate (D:20260930000000+00'00')"
    """
    stamp = day.strftime("%Y%m%d000000").encode()
    return _DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + stamp, pdf)
