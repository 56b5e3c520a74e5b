"""One root error class, and a few kinds of it.

Every error a user can cause derives from :class:`SegsqlError`; the CLI prints
``Error: <message>`` for these and exits non-zero, so messages are written as
one line that names the file, key or column at fault.
"""

from __future__ import annotations

from pathlib import Path


class SegsqlError(Exception):
    """Root of every error segsql raises on purpose.

    Its message is one line: a line break in it (a column named with one, a
    multi-line message from DuckDB) is shown as ``\\n``.

    >>> str(DataError("column 'a\\nb' is all NULL"))
    "column 'a\\\\nb' is all NULL"
    """

    def __str__(self) -> str:
        return super().__str__().replace("\r", "\\r").replace("\n", "\\n")


class SegsqlWarning(UserWarning):
    """Something a caller should hear that is not an error, told through Python's ``warnings``.

    Where a verb has no result to carry it (``score(transactions=...)`` returns the
    scored rows): the recipe's transactions it left out. The CLI prints each as one
    ``Warning: ...`` line on stderr. A run's warnings are in ``RunResult.warnings``
    and ``runs.warnings`` instead.
    """


class ConfigError(SegsqlError):
    """A config file is missing, malformed, or has a bad key or value.

    >>> str(ConfigError("must be >= 2", path="c.toml", key="model.k"))
    'c.toml: [model] k: must be >= 2'
    """

    def __init__(self, message: str, *, path: str | Path | None = None, key: str | None = None):
        self.path = Path(path) if path is not None else None
        self.key = key
        self.reason = message
        where = []
        if path is not None:
            where.append(str(path))
        if key:
            section, _, leaf = key.rpartition(".")
            where.append(f"[{section}] {leaf}" if section else key)
        super().__init__(": ".join([*where, message]))


class SourceError(SegsqlError):
    """A source cannot be read: missing file, bad format, empty, unknown table."""


class QueryError(SegsqlError):
    """An SQL query failed; names the query (file or config key) and shows DuckDB's message.

    Its parts are fields: ``query`` (what ran), ``reason`` (the database's words)
    and ``sql`` (the text, when there is one).

    >>> e = QueryError("Binder Error: no column x", query="queries/a.sql")
    >>> str(e), e.reason
    ('queries/a.sql: Binder Error: no column x', 'Binder Error: no column x')
    """

    def __init__(self, reason: str, *, query: str, sql: str | None = None):
        self.query = query
        self.reason = reason
        self.sql = sql
        super().__init__(f"{query}: {reason}")


class DataError(SegsqlError):
    """The data cannot be segmented as configured (duplicates, NULLs, non-numeric …)."""


class DatabaseError(SegsqlError):
    """The run database cannot be opened or written (locked by another run, not a database …)."""


class SavedThenInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) after a run was committed: the run is saved, what came after it is not.

    A ``KeyboardInterrupt``, so a caller that stops on Ctrl-C still does; the
    CLI says the run was saved instead of "nothing was written".
    """

    def __init__(self, *, run_id: int):
        self.run_id = run_id
        super().__init__(f"interrupted after run {run_id} was saved")


def environment_error(exc: BaseException) -> SegsqlError | None:
    """``exc`` as the bad-environment error it is, or None when it is not one.

    A file-system error (a read-only or full folder, a folder where a file is
    meant, a missing folder) or DuckDB's I/O error (a damaged database file, a
    full disk) is not a bug in segsql: the CLI reports it as one line, exit 1.

    >>> str(environment_error(PermissionError(13, "Permission denied", "out/report.html")))
    'out/report.html: Permission denied'
    >>> environment_error(ZeroDivisionError()) is None
    True
    """
    import duckdb  # here: most of this module's users never need it

    if isinstance(exc, OSError):
        names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
        reason = exc.strerror or str(exc) or type(exc).__name__
        return SegsqlError(": ".join([" → ".join(names), reason]) if names else reason)
    if isinstance(exc, duckdb.IOException):
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        return DatabaseError(
            f"the database could not be read or written ({reason}): is the file damaged or the disk full?"
        )
    return None
