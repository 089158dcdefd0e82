"""kamlib — the logic behind the KAM workbook's notebooks.

Notebooks call these functions; every number in a deliverable comes from here. The names
below are loaded when first used, so ``kam --help`` does not wait for pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: What ``import kamlib as kam`` offers, and the module each name comes from.
_EXPORTS = {
    "Config": "core.config",
    "load_config": "core.config",
    "DataPack": "intake.datapack",
    "Finding": "intake.datapack",
    "load_datapack": "intake.datapack",
    "read_datapack": "intake.datapack",
    "Engagement": "intake.engagement",
    "open_engagement": "intake.engagement",
    "ConfigError": "core.errors",
    "DataPackError": "core.errors",
    "KamError": "core.errors",
    "ParameterError": "core.errors",
    "RunError": "core.errors",
    "callout": "report.notebook",
    "decision": "report.notebook",
    "figure": "report.notebook",
    "glossary": "report.notebook",
    "html": "report.notebook",
    "kpis": "report.notebook",
    "md": "report.notebook",
    "notes": "report.notebook",
    "setup": "report.notebook",
    "start": "report.notebook",
    "in_window": "core.periods",
    "trailing_window": "core.periods",
    "rules_text": "report.rules",
    "show": "report.tables",
}

__all__ = [
    "Config",
    "ConfigError",
    "DataPack",
    "DataPackError",
    "Engagement",
    "Finding",
    "KamError",
    "ParameterError",
    "RunError",
    "callout",
    "decision",
    "figure",
    "fmt",
    "glossary",
    "html",
    "in_window",
    "kpis",
    "load_config",
    "load_datapack",
    "md",
    "notes",
    "open_engagement",
    "read_datapack",
    "rules_text",
    "setup",
    "show",
    "start",
    "trailing_window",
]
__version__ = "0.1.0"

if TYPE_CHECKING:  # what type checkers and editors see
    from .core import fmt
    from .core.config import Config, load_config
    from .core.errors import ConfigError, DataPackError, KamError, ParameterError, RunError
    from .core.periods import in_window, trailing_window
    from .intake.datapack import DataPack, Finding, load_datapack, read_datapack
    from .intake.engagement import Engagement, open_engagement
    from .report.notebook import (
        callout,
        decision,
        figure,
        glossary,
        html,
        kpis,
        md,
        notes,
        setup,
        start,
    )
    from .report.rules import rules_text
    from .report.tables import show


def __getattr__(name: str) -> Any:
    if name == "fmt":
        return importlib.import_module(".core.fmt", __name__)
    if name not in _EXPORTS:
        raise AttributeError(f"module 'kamlib' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
