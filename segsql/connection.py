"""The one place that opens a database, or adopts a caller's connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .config import Config
from .errors import DatabaseError

__all__ = ["connect", "scratch"]


@contextmanager
def connect(
    config: Config,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    read_only: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to the config's database.

    A caller's connection is used as it is and never closed; one opened here is
    closed on exit. A read-only open of a database that does not exist yet is
    an error rather than an empty file.
    """
    if con is not None:
        yield con
        return
    database = config.database
    if database != ":memory:":
        path = Path(database)
        if read_only and not path.exists():
            raise DatabaseError(f"{path}: no database yet; run `segsql run` first")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
    settings = {"memory_limit": config.project.memory_limit} if config.project.memory_limit else {}
    try:
        own = duckdb.connect(database, read_only=read_only, config=settings)
    except duckdb.IOException as exc:
        message = str(exc).splitlines()[0]
        if "lock" in message.lower():
            raise DatabaseError(
                f"{database}: the database is in use by another process (is another run going?)"
            ) from None
        raise DatabaseError(f"{database}: cannot open the database ({message})") from None
    except duckdb.Error as exc:
        raise DatabaseError(f"{database}: cannot open the database ({exc})") from None
    try:
        yield own
    finally:
        own.close()


@contextmanager
def scratch(
    config: Config, con: duckdb.DuckDBPyConnection | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for checks that write nothing.

    The run database read-only when it exists (a source may be a table in it);
    otherwise an in-memory database, so that checking creates no file.
    """
    if con is not None or (config.database != ":memory:" and Path(config.database).exists()):
        with connect(config, con, read_only=con is None) as db:
            yield db
        return
    db = duckdb.connect(":memory:")
    try:
        yield db
    finally:
        db.close()
