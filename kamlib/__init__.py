"""kamlib — the logic behind the KAM workbook's notebooks.

Notebooks call these functions; every number in a deliverable comes from here.
"""

from . import fmt
from .config import Config, load_config
from .datapack import DataPack, Finding, load_datapack, read_datapack
from .engagement import Engagement, open_engagement
from .errors import ConfigError, DataPackError, KamError, ParameterError, RunError
from .notebook import callout, figure, html, kpis, md, notes, setup, start
from .periods import in_window, trailing_window
from .tables import show

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
    "figure",
    "fmt",
    "html",
    "in_window",
    "kpis",
    "load_config",
    "load_datapack",
    "md",
    "notes",
    "open_engagement",
    "read_datapack",
    "setup",
    "show",
    "start",
    "trailing_window",
]
__version__ = "0.1.0"
