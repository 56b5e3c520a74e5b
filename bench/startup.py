"""Benchmark: start-up and the demo end to end (not a test; figures in bench/README.md).

    python bench/startup.py                   # 7 runs of each command: median, min, max
    python bench/startup.py --runs 11
    python bench/startup.py --tree before=/tmp/old-checkout --tree after=.   # side by side

Each command is a child process timed from outside (Python start-up and imports
included), the way a user meets it; besides the wall clock it reports the
child's CPU seconds (user + system), which a busy machine inflates far less:

- ``python -c "import segsql"`` and ``segsql --help``;
- ``segsql run data/customers.toml`` in a fresh copy of ``data/`` (no database:
  a first run), and again on a database holding earlier runs (the report then
  has its "Since the previous run" section and two more charts), and that rerun
  with ``[output] report = false``: the difference is what the report adds;
- ``segsql report data/customers.toml --images`` (every chart as PNG and SVG;
  a tree whose ``segsql report`` has no ``--images`` draws them anyway).

``--tree NAME=DIR`` runs the commands with ``DIR`` first on ``PYTHONPATH`` (a
checkout of another version); with several trees, every round runs each tree in
turn, so that a noisy machine's load falls on all of them alike. It also names
the heavy modules that ``import segsql`` and ``segsql --help`` load.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
HEAVY = ("sklearn", "scipy", "altair", "vl_convert", "pandas", "pyarrow", "polars", "duckdb", "pydantic")

# which heavy modules a statement leaves loaded (run in a child, printed last)
_LOADED = """
import sys
{statement}
print("--loaded--", *(m for m in {heavy!r} if m in sys.modules))
"""
_HELP = (
    "from segsql.cli import app\ntry:\n    app(['--help'], prog_name='segsql')\nexcept SystemExit:\n    pass"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(
        command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, _cpu() - cpu


def _loaded(statement: str, env: dict[str, str]) -> list[str]:
    code = _LOADED.format(statement=statement, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return out.stdout.rpartition("--loaded--")[2].split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=DIR")
    args = parser.parse_args()

    trees: dict[str, dict[str, str]] = {}
    for given in args.tree or ["this tree="]:
        name, _, folder = given.partition("=")
        env = dict(os.environ)
        if folder:
            env["PYTHONPATH"] = os.pathsep.join([str(Path(folder).resolve()), env.get("PYTHONPATH", "")])
        trees[name] = env

    segsql = str(Path(sys.executable).with_name("segsql"))
    top = Path(tempfile.mkdtemp(prefix="segsql-startup-"))
    work = {tree: top / tree for tree in trees}  # each tree its own copy of data/ and database
    for folder in work.values():
        shutil.copytree(DATA, folder / "data", ignore=shutil.ignore_patterns("*.duckdb*", "out"))
        demo = (folder / "data" / "customers.toml").read_text()
        (folder / "data" / "no_report.toml").write_text(
            demo.replace("[output]\n", "[output]\nreport = false\n")
        )

    def fresh(folder: Path) -> None:  # a first run: no database, no report folder
        for path in (folder / "data").glob("customers.duckdb*"):
            path.unlink()
        shutil.rmtree(folder / "data" / "out", ignore_errors=True)

    def report(env: dict[str, str]) -> list[str]:
        shown = subprocess.run([segsql, "report", "--help"], env=env, capture_output=True, text=True).stdout
        return [segsql, "report", "data/customers.toml", *(["--images"] if "--images" in shown else [])]

    cases: list[tuple[str, Callable[[dict[str, str]], list[str]], Callable[[Path], None] | None]] = [
        ('python -c "import segsql"', lambda env: [sys.executable, "-c", "import segsql"], None),
        ("segsql --help", lambda env: [segsql, "--help"], None),
        (
            "segsql run data/customers.toml (a first run)",
            lambda env: [segsql, "run", "data/customers.toml"],
            fresh,
        ),
        (
            "segsql run data/customers.toml (a rerun)",
            lambda env: [segsql, "run", "data/customers.toml"],
            None,
        ),
        ("the rerun with [output] report = false", lambda env: [segsql, "run", "data/no_report.toml"], None),
        ("segsql report data/customers.toml --images", report, None),
    ]
    python = platform.python_version()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {python}, {args.runs} runs each, trees in turn"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| command | tree | wall median s | wall min–max s | CPU median s |")
    print("|---|---|---:|---:|---:|")
    for name, command, before in cases:
        timings: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for _ in range(args.runs):
            for tree, env in trees.items():
                if before is not None:
                    before(work[tree])
                timings[tree].append(_time(command(env), cwd=work[tree], env=env))
        for tree, runs in timings.items():
            wall = [w for w, _ in runs]
            cpu = [c for _, c in runs]
            print(
                f"| `{name}` | {tree} | **{statistics.median(wall):.2f}** | {min(wall):.2f}–{max(wall):.2f}"
                f" | {statistics.median(cpu):.2f} |"
            )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    for tree, env in trees.items():
        print(f"{tree}: `import segsql` loads: {', '.join(_loaded('import segsql', env)) or 'none of them'}")
        print(f"{tree}: `segsql --help` loads: {', '.join(_loaded(_HELP, env)) or 'none of them'}")
    shutil.rmtree(top)


if __name__ == "__main__":
    main()
