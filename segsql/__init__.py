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

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from segsql.errors import (
    ConfigError,
    DatabaseError,
    DataError,
    QueryError,
    SegsqlError,
    SegsqlWarning,
    SourceError,
)
from segsql.version import __version__

if TYPE_CHECKING:  # the names the lazy loader below gives, for type checkers and editors
    from segsql.config import Config, config_from_dict, load_config
    from segsql.diff import Diff, diff
    from segsql.history import list_runs, query
    from segsql.pipeline import RunResult, ValidationResult, run, validate
    from segsql.publish import PublishError, PublishResult, publish
    from segsql.report import Report, write_report
    from segsql.scoring.export import export_sql
    from segsql.scoring.score import ScoreSummary
    from segsql.starter import init_config
    from segsql.transactions import score  # feature rows, or transactions through a run's recipe

# name → the module that defines it. `import segsql` (and so `segsql --help`) loads none of them:
# a run needs scikit-learn, the report Altair and vl-convert, and together they take seconds to
# import; each is loaded on first use of a name that needs it (PEP 562).
_LAZY = {
    "Config": "segsql.config",
    "config_from_dict": "segsql.config",
    "load_config": "segsql.config",
    "Diff": "segsql.diff",
    "list_runs": "segsql.history",
    "query": "segsql.history",
    "RunResult": "segsql.pipeline",
    "ValidationResult": "segsql.pipeline",
    "run": "segsql.pipeline",
    "validate": "segsql.pipeline",
    "PublishError": "segsql.publish",
    "PublishResult": "segsql.publish",
    "Report": "segsql.report",
    "write_report": "segsql.report",
    "export_sql": "segsql.scoring.export",
    "ScoreSummary": "segsql.scoring.score",
    "score": "segsql.transactions",  # feature rows, or transactions through a run's recipe
    "init_config": "segsql.starter",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'segsql' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"diff", "publish"})


class _Package(types.ModuleType):
    """``segsql.diff`` and ``segsql.publish`` are verbs, though ``segsql/diff.py`` and
    ``segsql/publish.py`` are modules too: loading a submodule binds it on its package, which
    would hide the verb whenever the module is loaded after ``import segsql`` (importing it
    eagerly here, as before, would load DuckDB and Polars with every ``segsql --help``).
    Within segsql, import those modules by their full names (``from segsql.publish import …``)."""

    @property
    def diff(self) -> Any:
        return importlib.import_module("segsql.diff").diff

    @diff.setter
    def diff(self, module: Any) -> None:  # the import system binding the submodule: the verb stays
        pass

    @property
    def publish(self) -> Any:
        return importlib.import_module("segsql.publish").publish

    @publish.setter
    def publish(self, module: Any) -> None:
        pass


sys.modules[__name__].__class__ = _Package


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
    "SegsqlWarning",
]
