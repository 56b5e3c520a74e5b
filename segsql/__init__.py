"""segsql: SQL-native customer segmentation over DuckDB.

The public API is a handful of verbs::

    import segsql
    result = segsql.run("data/customers.toml")      # → RunResult
    result.segment_summary                          # a Polars frame

See the README for the config keys and the output tables.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Config, config_from_dict, load_config
from .errors import ConfigError, DatabaseError, DataError, QueryError, SegsqlError, SourceError
from .export import export_sql
from .history import list_runs, query
from .pipeline import RunResult, ValidationResult, run, validate
from .report import Report, write_report
from .score import ScoreSummary, score
from .starter import init_config

__all__ = [
    "__version__",
    "run", "validate", "query", "list_runs", "init_config", "score", "export_sql", "ScoreSummary",
    "write_report", "Report",
    "load_config", "config_from_dict", "Config", "RunResult", "ValidationResult",
    "SegsqlError", "ConfigError", "SourceError", "QueryError", "DataError", "DatabaseError",
]  # fmt: skip
