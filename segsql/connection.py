"""The one place that opens a database, or adopts a caller's connection."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from segsql.config import Config
from segsql.errors import DatabaseError

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
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"{path}: cannot create the database's folder {path.parent} ({exc.strerror})"
                ) from None
    settings: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": config.project.memory_limit} if config.project.memory_limit else {}
    )
    own = _open(database, read_only=read_only, timeout=config.project.lock_timeout, settings=settings)
    try:
        yield own
    finally:
        own.close()


def _open(
    database: str,
    *,
    read_only: bool,
    timeout: float,
    settings: dict[str, str | bool | int | float | list[str]],
) -> duckdb.DuckDBPyConnection:
    # DuckDB allows one writing process per file and holds the lock while a
    # connection is open; wait up to `timeout` seconds for it, then say who holds it
    deadline = time.monotonic() + timeout
    while True:
        try:
            return duckdb.connect(database, read_only=read_only, config=settings)
        except duckdb.IOException as exc:
            message = str(exc).splitlines()[0]
            if "lock" not in message.lower():
                raise DatabaseError(f"{database}: cannot open the database ({message})") from None
            if time.monotonic() >= deadline:
                raise DatabaseError(_locked(database, message, timeout)) from None
            time.sleep(min(0.25, max(deadline - time.monotonic(), 0.01)))
        except duckdb.Error as exc:
            raise DatabaseError(f"{database}: cannot open the database ({exc})") from None


def _locked(database: str, message: str, timeout: float) -> str:
    """The one-line message for a database another process holds.

    >>> _locked("a.duckdb", 'Conflicting lock is held in /usr/bin/python3 (PID 42). See also …', 0)
    'a.duckdb: the database is in use by another process (PID 42; another segsql run?); \
[project] lock_timeout = 0 s, so not waiting'
    """
    pid = re.search(r"\(PID (\d+)\)", message)
    holder = f"PID {pid.group(1)}; " if pid else ""
    waited = (
        f"waited {timeout:g} s ([project] lock_timeout)"
        if timeout
        else ("[project] lock_timeout = 0 s, so not waiting")
    )
    return f"{database}: the database is in use by another process ({holder}another segsql run?); {waited}"


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
