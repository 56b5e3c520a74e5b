"""The one place that opens a database, or adopts a caller's connection.

A database segsql opens is attached under the fixed catalog name
:data:`CATALOG`, to an in-memory DuckDB of its own, and made the default: so
the output schema may be named like the database file (``segsql`` in
``segsql.duckdb``, the defaults) without ``schema.table`` being ambiguous
between a catalog and a schema. The names DuckDB gives catalogs in every
connection, and :data:`CATALOG`, cannot be a schema (``[project] schema``
refuses them when the config is loaded: ``segsql.config.RESERVED_CATALOGS``).

A caller's connection stays the caller's: it is refused, before anything runs
on it, when it is closed or inside an open transaction (segsql runs its own);
segsql never replaces one of its temporary objects, and removes every
temporary object it created there when it is done, on success and failure.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from segsql import sql
from segsql.config import RESERVED_PREFIX, RUN_CATALOG, Config
from segsql.errors import DatabaseError, QueryError

__all__ = ["CATALOG", "connect", "read_only_transaction", "scratch"]

# the catalog name of the run database in every connection segsql opens; `[project] schema`
# refuses it and DuckDB's own catalog names (segsql.config.RESERVED_CATALOGS)
CATALOG = RUN_CATALOG

# connections segsql is using right now (its own, or adopted), by id: a step that
# calls a public verb with the session's connection (the report) is not a caller
_IN_USE: dict[int, int] = {}

# what each kind of temporary object is dropped with (queries/connection/drop_*.sql)
_DROP = {
    "view": "drop_view",
    "table": "drop_table",
    "macro": "drop_macro",
    "table_macro": "drop_table_macro",
    "sequence": "drop_sequence",
}


@contextmanager
def connect(
    config: Config,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    read_only: bool = False,
    sandbox: bool = False,
    temp_names: Collection[str] = (),
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection to the config's database.

    A caller's connection is checked (see the module) and used as it is, never
    closed; ``temp_names`` are the temporary objects the caller of this function
    will create besides segsql's own ``segsql_…`` ones (the source views), which
    must not replace the connection's own. One opened here is closed on exit. A
    read-only open of a database that does not exist yet is an error rather than
    an empty file. ``sandbox`` (for a user's query) locks a connection opened
    here down: no file, no other database, no extension, no setting changed.
    """
    if con is not None:
        if id(con) in _IN_USE:  # segsql's own session connection, passed on by a step
            yield con
            return
        with _adopted(config, con, temp_names):
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
    # jemalloc's background threads hand the memory DuckDB frees back to the system within a
    # second; without them the features' aggregation (~300 MB at 1,000,000 customers) stays
    # in the process through the fit (bench/README.md, "Issue 16")
    settings["allocator_background_threads"] = True
    if database != ":memory:":
        # where DuckDB spills beyond memory_limit: beside the database, as when the file
        # itself is opened (an in-memory connection's default is `.tmp` in the working folder)
        settings["temp_directory"] = database + ".tmp"
    own = _open(database, read_only=read_only, timeout=config.project.lock_timeout, settings=settings)
    try:
        if sandbox:
            if config.project.engine == "spark":  # its segments view reads [spark] output (README, "Spark")
                from segsql.spark.output import allow_output

                allow_output(own, config)
            sql.execute(own, "connection/sandbox")
        with _using(own):
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
    attach = "connection/attach_read_only" if read_only else "connection/attach"
    while True:
        try:
            con = duckdb.connect(":memory:", config=settings)
        except duckdb.Error as exc:
            raise DatabaseError(f"{database}: cannot open the database ({exc})") from None
        try:
            sql.execute(con, attach, path=database, catalog=CATALOG)
            return con
        except QueryError as exc:
            con.close()
            cause = exc.__cause__
            message = str(cause).splitlines()[0] if cause else exc.reason
        if isinstance(cause, duckdb.IOException) and "lock" in message.lower():
            if time.monotonic() >= deadline:
                raise DatabaseError(_locked(database, message, timeout)) from None
            time.sleep(min(0.25, max(deadline - time.monotonic(), 0.01)))
            continue
        if isinstance(cause, duckdb.ResourceInUseException):
            # DuckDB lets a process attach a file once: another connection of this process has it
            raise DatabaseError(
                f"{database}: the database is already open in this process (another DuckDB "
                "connection holds it): pass that connection as con=, or close it first"
            ) from None
        raise DatabaseError(f"{database}: cannot open the database ({message})") from None


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
def _using(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    _IN_USE[id(con)] = _IN_USE.get(id(con), 0) + 1
    try:
        yield
    finally:
        _IN_USE[id(con)] -= 1
        if not _IN_USE[id(con)]:
            del _IN_USE[id(con)]


@contextmanager
def _adopted(config: Config, con: duckdb.DuckDBPyConnection, temp_names: Collection[str]) -> Iterator[None]:
    """Check a caller's connection, use it, and remove the temporary objects segsql left in it.

    The checks only read (a failing statement inside the caller's transaction
    would abort it): the transaction id of two statements, which differs
    between statements outside a transaction; the catalogs; the temp objects.
    """
    try:
        first = sql.execute(con, "connection/transaction_id").fetchall()
        in_transaction = sql.execute(con, "connection/transaction_id").fetchall() == first
    except QueryError as exc:
        if isinstance(exc.__cause__, duckdb.ConnectionException):
            raise DatabaseError("con=: the DuckDB connection is closed") from None
        if not isinstance(exc.__cause__, duckdb.TransactionException):
            raise
        in_transaction = True  # the caller's transaction, aborted by an earlier error of theirs
    if in_transaction:
        raise DatabaseError(
            "con=: the connection has an open transaction; segsql runs its own transactions, "
            "so COMMIT or ROLLBACK it first"
        )
    schema = config.schema
    if sql.execute(con, "connection/is_catalog", {"name": schema}).fetchall()[0][0]:
        raise DatabaseError(
            f"[project] schema {schema!r}: the connection passed as con= has a database (catalog) of "
            f"that name, so {schema}.<table> would be ambiguous; choose another schema"
        )
    before = set(sql.execute(con, "connection/temp_objects").fetchall())
    _refuse_collisions(before, temp_names)
    try:
        with _using(con):
            yield
    finally:
        _drop_new(con, before)


def _refuse_collisions(objects: set[tuple[str, str]], temp_names: Collection[str]) -> None:
    """Refuse a caller's temp object that segsql would replace (DuckDB's names ignore case)."""
    claimed = {name.lower(): name for name in temp_names}
    for kind, name in sorted(objects):
        what = kind.replace("_", " ")
        if name.lower() in claimed:
            raise DatabaseError(
                f"con=: the connection has its own temporary {what} {name!r}, which "
                f"[sources.{claimed[name.lower()]}] would replace: rename one of them"
            )
        if name.lower().startswith(RESERVED_PREFIX):
            raise DatabaseError(
                f"con=: the connection has a temporary {what} {name!r}; names starting with "
                f"{RESERVED_PREFIX!r} are segsql's own: rename it"
            )


def _drop_new(con: duckdb.DuckDBPyConnection, before: set[tuple[str, str]]) -> None:
    # a failure here must not hide the error the call may be raising: the objects are
    # temporary, and gone with the connection at the latest
    with suppress(duckdb.Error, QueryError):
        for kind, name in sorted(set(sql.execute(con, "connection/temp_objects").fetchall()) - before):
            sql.execute(con, f"connection/{_DROP[kind]}", name=name)


@contextmanager
def read_only_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a block in a read-only DuckDB transaction, committed if it succeeds.

    Inside it nothing can write to any attached database (``nextval`` included);
    temporary objects can still be created. For the steps that evaluate the
    user's SQL and source views, and for a user's query on a caller's connection.
    """
    sql.execute(con, "connection/begin_read_only")
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            con.rollback()
        raise
    con.commit()


@contextmanager
def scratch(
    config: Config, con: duckdb.DuckDBPyConnection | None = None, *, temp_names: Collection[str] = ()
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for checks that write nothing.

    The run database read-only when it exists (a source may be a table in it);
    otherwise an in-memory database, so that checking creates no file.
    """
    if con is not None or (config.database != ":memory:" and Path(config.database).exists()):
        with connect(config, con, read_only=con is None, temp_names=temp_names) as db:
            yield db
        return
    db = _open(":memory:", read_only=False, timeout=0, settings={})
    try:
        with _using(db):
            yield db
    finally:
        db.close()
