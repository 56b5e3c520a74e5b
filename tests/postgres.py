"""A throwaway PostgreSQL server for the tests that run the exported scoring query on one.

A test module makes it a fixture of its own (importing a fixture by name
would shadow it in every test's arguments)::

    @pytest.fixture(scope="module")
    def postgres() -> Iterator[str]:
        yield from postgres_server()

Where the PostgreSQL server binaries are not installed, the tests using it
are skipped, with the reason.
"""

from __future__ import annotations

import glob
import math
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

__all__ = ["load_frame", "load_rows", "postgres_server"]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port; yields a connection string.

    initdb refuses to run as root, so as root the server runs as the `postgres` user.
    """
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
        )
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root and `runuser` is missing, so initdb cannot run as postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="segsql-pg-"))
    data, log = root / "data", root / "server.log"
    if as_user:
        shutil.chown(root, user="postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)

    try:
        run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
            )
        shutil.rmtree(root, ignore_errors=True)


def load_frame(conn: Any, name: str, frame: pd.DataFrame, entity: str) -> None:
    """(Re)create table ``name`` from ``frame``: the entity BIGINT or TEXT, the rest DOUBLE PRECISION.

    A NaN in the frame becomes NULL, as pandas writes a missing value.
    """
    rows = [
        tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in frame.astype(object).itertuples(index=False)
    ]
    integer = pd.api.types.is_integer_dtype(frame[entity])
    load_rows(
        conn, name, list(frame.columns), rows, entity=entity, entity_type="BIGINT" if integer else "TEXT"
    )


def load_rows(
    conn: Any,
    name: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    entity: str,
    entity_type: str = "BIGINT",
) -> None:
    """(Re)create table ``name`` holding ``rows`` as they are (None is NULL, a float NaN is NaN)."""
    from psycopg import sql as pgsql

    definition = pgsql.SQL(", ").join(
        pgsql.SQL("{} {}").format(
            pgsql.Identifier(c), pgsql.SQL(entity_type if c == entity else "DOUBLE PRECISION")
        )
        for c in columns
    )
    with conn.cursor() as cur:
        cur.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(name)))
        cur.execute(pgsql.SQL("CREATE TABLE {} ({})").format(pgsql.Identifier(name), definition))
        with cur.copy(
            pgsql.SQL("COPY {} ({}) FROM STDIN").format(
                pgsql.Identifier(name), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
            )
        ) as copy:
            for row in rows:
                copy.write_row(row)
    conn.commit()
