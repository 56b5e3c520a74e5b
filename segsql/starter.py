"""Write a starter config for a data file: `segsql init DATAFILE`."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import tomli_w

from segsql import sql
from segsql.errors import QueryError, SegsqlError, SourceError
from segsql.sources import is_numeric_type, reader_for

__all__ = ["init_config"]

_ID_NAME = re.compile(r"(^id$|_id$|^id_|id$|^key$|_key$|number$|_no$|^code$)", re.IGNORECASE)


def init_config(datafile: str | Path, *, output: str | Path | None = None, force: bool = False) -> Path:
    """Inspect ``datafile`` and write ``<stem>.toml`` beside it (or at ``output``).

    The entity is the first column whose name looks like an id and whose
    values are unique (else the first unique column); the features are the
    other numeric columns. Returns the path written.
    """
    datafile = Path(datafile)
    if not datafile.exists():
        raise SourceError(f"{datafile}: file not found")
    target = Path(output) if output else datafile.with_suffix(".toml")
    if target.exists() and not force:
        raise SegsqlError(f"{target}: already exists (use --force to overwrite)")
    con = duckdb.connect()
    try:
        sql.execute(
            con,
            "sources/file",
            name="data",
            reader=reader_for(str(datafile)),
            path=str(datafile.resolve()),
        )
        # a name holding a NUL character cannot be written in SQL (sql.quote_ident): such a
        # column is neither the entity nor a feature, and the config leaves it out of `columns`
        columns = [c for c in sql.execute(con, "starter/profile_columns").fetchall() if "\x00" not in c[0]]
        n_rows = sql.execute(con, "starter/row_count").fetchall()[0][0]
        distinct = {
            name: sql.execute(con, "starter/distinct_count", column=name).fetchall()[0][0]
            for name, _ in columns
        }
    except SegsqlError as exc:
        raise SourceError(
            f"{datafile}: cannot read ({exc.reason if isinstance(exc, QueryError) else exc})"
        ) from None
    finally:
        con.close()
    if n_rows == 0:
        raise SourceError(f"{datafile}: the file has no rows")
    unique = [name for name, _ in columns if distinct[name] == n_rows]
    entity = next((c for c in unique if _ID_NAME.search(c)), unique[0] if unique else None)
    if entity is None:
        raise SourceError(f"{datafile}: no column has a unique value per row to use as the entity")
    features = [name for name, type_ in columns if name != entity and is_numeric_type(type_)]
    if not features:
        raise SourceError(f"{datafile}: no numeric column to segment on besides {entity!r}")
    target.write_text(_render(datafile, target, entity, features), encoding="utf-8")
    return target


def _comment(text: str) -> str:
    r"""``text`` made safe inside a TOML comment, which may hold no control character but tab.

    >>> _comment("a\nb\x7f.csv")
    'a\\x0ab\\x7f.csv'
    """
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]", lambda m: f"\\x{ord(m[0]):02x}", text)


def _render(datafile: Path, target: Path, entity: str, features: list[str]) -> str:
    """The starter config: every value written by tomli-w, so any name reads back as it was."""
    name = re.sub(r"\W+", "_", datafile.stem).strip("_").lower() or "segments"
    try:
        relative = datafile.resolve().relative_to(target.resolve().parent)
    except ValueError:
        relative = datafile.resolve()
    path = relative.as_posix()
    if path.startswith("~"):  # a file called "~x.csv", not a home folder (config paths expand "~")
        path = "./" + path
    config = {
        "project": {"name": name, "database": name + ".duckdb"},
        "sources": {"data": {"path": path}},
        "features": {"entity": entity, "sql": "SELECT * FROM data", "columns": features},
        "preprocess": {"scaling": "standard", "impute": "median"},
        "model": {"k": "auto", "k_range": [2, 10], "select": "silhouette", "random_state": 42},
        "output": {"dir": "out"},
    }
    head = (
        f"# segsql config written by `segsql init {_comment(datafile.name)}`.\n"
        f"# Edit it, then: segsql run {_comment(target.name)}\n"
        "# Every key is described in the segsql README.\n\n"
    )
    return head + tomli_w.dumps(config)
