"""One error family. Every message tells the user what to fix; a traceback is a bug."""

from __future__ import annotations


class KamError(Exception):
    """Base of every error the workbook raises on purpose.

    The CLI prints ``str(error)`` and exits non-zero; nothing else is shown.
    """


class ConfigError(KamError):
    """The engagement config (YAML) is missing, unreadable or invalid."""


class DataPackError(KamError):
    """The client's data pack cannot be used as it is.

    ``problems`` holds one finding per problem, each naming file, column, rows and fix.
    """

    def __init__(self, problems: list, source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"The data pack {source} has " if source else "The data pack has "
        n = len(self.problems)
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} to fix before the analysis can run:"]
        lines += [f"  {i}. {p.message}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


class ParameterError(KamError):
    """A notebook parameter is unknown or has a value of the wrong form."""


class RunError(KamError):
    """A notebook failed while the engagement was running."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the message says what was kept (the CLI exits with 130)."""
