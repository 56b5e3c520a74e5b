"""segsql: SQL-native customer segmentation over DuckDB.

The public API is a handful of verbs; each takes a config (a path or a
:class:`Config`) and, where it touches a database, ``con=`` as a keyword::

    import segsql
    result = segsql.run("data/customers.toml")      # → RunResult
    result.segment_summary                          # a Polars frame
    segsql.publish("data/customers.toml", run_id=result.run_id)  # to its [[publish]] targets

See the README for the config keys and the output tables.
"""

from __future__ import annotations

from segsql.config import Config, config_from_dict, load_config
from segsql.diff import Diff, diff
from segsql.errors import ConfigError, DatabaseError, DataError, QueryError, SegsqlError, SourceError
from segsql.history import list_runs, query
from segsql.pipeline import RunResult, ValidationResult, run, validate
from segsql.publish import PublishError, PublishResult, publish
from segsql.report import Report, write_report
from segsql.scoring.export import export_sql
from segsql.scoring.score import ScoreSummary, score
from segsql.starter import init_config
from segsql.version import __version__

__all__ = [
    "__version__",
    "run",
    "validate",
    "query",
    "list_runs",
    "init_config",
    "score",
    "export_sql",
    "write_report",
    "diff",
    "publish",
    "RunResult",
    "ValidationResult",
    "ScoreSummary",
    "Report",
    "Diff",
    "PublishResult",
    "PublishError",
    "load_config",
    "config_from_dict",
    "Config",
    "SegsqlError",
    "ConfigError",
    "SourceError",
    "QueryError",
    "DataError",
    "DatabaseError",
]
