"""A test hook: stop the process at a named point, so a test can kill it exactly there.

Set ``SEGSQL_TEST_PAUSE_AT`` to a point's name and a run stops there for good,
after printing ``segsql: paused at <name>`` on stderr; nothing else changes.
The points are the start of each timed step of :data:`segsql.pipeline.STEPS`
(``sources``, ``features``, ``preprocess``, ``matrix``, ``model``, ``profiles``,
``names``, ``projection``, ``writeback``, ``report``), ``commit`` (inside the
write-back transaction, every row written, just before COMMIT) and
``committed`` (just after it). ``tests/test_crash.py`` SIGKILLs runs paused at
each; ``tests/test_locking.py`` holds the database with one. Publishing
(:mod:`segsql.publish`) adds ``publish`` (the start of the step, or of
``segsql publish``), ``publish:<table>`` (before each table of each target:
``publish:segments`` is between two tables) and ``publish:<table>:aside`` (a
Parquet table's file written aside, not yet renamed into place);
``tests/test_publish.py`` SIGKILLs publishes paused there. The Spark engine
(:mod:`segsql.spark.engine`) adds ``spark:aside`` (the run's ``[spark] output``
folder written aside, not yet renamed into place); ``tests/test_spark.py``
SIGKILLs Spark runs paused there and at ``commit``.

``SEGSQL_TEST_NOTE_AT`` names a point to announce without stopping
(``segsql: at <name>`` on stderr), so that a test can interrupt a run while it
works there (``tests/test_failures.py`` sends Ctrl-C in the middle of the K
sweep).
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["ENV", "NOTE_ENV", "pause_point"]

ENV = "SEGSQL_TEST_PAUSE_AT"
NOTE_ENV = "SEGSQL_TEST_NOTE_AT"


def pause_point(name: str) -> None:
    """Stop forever here when ``SEGSQL_TEST_PAUSE_AT`` names this point; else do nothing.

    When ``SEGSQL_TEST_NOTE_AT`` names it, say so on stderr and go on.
    """
    if os.environ.get(NOTE_ENV) == name:
        sys.stderr.write(f"segsql: at {name} (pid {os.getpid()})\n")
        sys.stderr.flush()
    if os.environ.get(ENV) != name:
        return
    sys.stderr.write(f"segsql: paused at {name} (pid {os.getpid()})\n")
    sys.stderr.flush()
    while True:  # until the test kills the process
        time.sleep(60)
