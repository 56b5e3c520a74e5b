"""The session: what every step of a run shares.

A session owns the config, the connection (opened here, or adopted from a
caller and never closed), the output schema, the engine, and the relations the
steps leave behind, by name (``features`` → the temp view ``segsql_features``,
``labels`` → ``segsql_labels`` …). Steps read their inputs from earlier steps'
results and relations, never from one another's internals, so a new engine
(Spark) is a new kind of session, and a new capability is a new step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb

from segsql.config import Config
from segsql.connection import connect, scratch
from segsql.errors import SegsqlError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Matrix", "Progress", "Session", "open_session"]

# progress(message) as each step starts; progress(message, done, total) for parts of one
Progress = Callable[..., None]


@dataclass(frozen=True)
class Matrix:
    """The whole scaled matrix in memory, row ``r`` = ``segsql_row`` r, with its labels (1..K).

    Kept by the in-memory fit for the 2-D map, whose PCA sees every row; the
    streamed fit never holds it.
    """

    X: np.ndarray
    labels: np.ndarray | None


@dataclass
class Session:
    """A run's shared state. Build one with :func:`open_session`."""

    config: Config
    con: duckdb.DuckDBPyConnection
    engine: str = "duckdb"
    # the Spark engine's run (segsql.spark.engine.SparkRun) when engine is "spark"
    spark: Any = None
    progress: Progress | None = None
    started_at: datetime = field(default_factory=datetime.now)
    timings: dict[str, float] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    matrix: Matrix | None = None

    @property
    def schema(self) -> str:
        return self.config.schema

    def leave(self, name: str, relation: str) -> None:
        """Record that a step left ``relation`` (a temp table or view) under ``name``."""
        self.relations[name] = relation

    def has(self, name: str) -> bool:
        """Whether a step left a relation called ``name``."""
        return name in self.relations

    def relation(self, name: str) -> str:
        """The relation an earlier step left under ``name``."""
        try:
            return self.relations[name]
        except KeyError:
            raise SegsqlError(f"no step has left a {name!r} relation yet") from None

    def tell(self, stage: str) -> Callable[[str, int, int], None]:
        """A callback for the parts of ``stage`` (the K sweep's K values, the final fit)."""

        def tell(what: str, done: int, total: int) -> None:
            if self.progress:
                self.progress(f"{stage}: {what}", done, total)

        return tell

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Tell the progress callback that ``name`` starts, and record its seconds.

        A step may record its own time first (the write-back does, to store it
        in the ``runs`` row it writes); that figure is kept.
        """
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.setdefault(name, time.perf_counter() - start)


@contextmanager
def open_session(
    config: Config,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    progress: Progress | None = None,
    read_only: bool = False,
) -> Iterator[Session]:
    """A session over the config's database (or ``con``).

    ``read_only`` is for checks that write nothing (``validate``): the run
    database opened read-only when it exists, else an in-memory one. In a
    caller's connection the sources' temp views, named after their keys, must
    not replace the caller's own objects (:func:`segsql.connection.connect`).
    """
    sources = tuple(config.sources)
    opener = (
        scratch(config, con, temp_names=sources) if read_only else connect(config, con, temp_names=sources)
    )
    with opener as db:
        yield Session(config=config, con=db, progress=progress)
