"""Where one run's time and memory go, step by step (not a test; figures in bench/README.md).

    python bench/steps.py bench/out/1m/segsql.toml      # after bench/run.py 1000000 wrote it
    python bench/steps.py data/customers.toml

Runs ``segsql.run(CONFIG)`` in this process and prints, for each step, when it
started (seconds since this script started, imports included), its length, the
CPU time the process spent in it (every thread: on this 2-core machine near twice
the length when both cores were busy, near the length when one was idle), and the
process's peak resident memory while it ran: a thread reads ``/proc/self/statm``
every 5 ms (Linux only). "after X" is the time between step X and the next timed
step (untimed steps, the end of the run). The run writes to the config's database like any run;
delete it first for a first run.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402 - the clock starts before the imports it measures
import contextlib  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import segsql  # noqa: E402
from segsql.session import Session  # noqa: E402

_PAGE = 4096


def _rss_mb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE // 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    args = parser.parse_args()

    current = ["start-up"]
    # start, end, peak MB, CPU seconds at the start and at the end (every thread of the process)
    seen: dict[str, list[float]] = {"start-up": [0.0, 0.0, 0.0, 0.0, 0.0]}

    def sample() -> None:
        while True:
            name, rss = current[0], _rss_mb()
            seen[name][2] = max(seen[name][2], rss)
            time.sleep(0.005)

    threading.Thread(target=sample, daemon=True).start()
    timed = Session.timed

    @contextlib.contextmanager
    def watched(self: Session, name: str) -> Iterator[None]:
        now, cpu = time.perf_counter() - START, time.process_time()
        seen[current[0]][1], seen[current[0]][4] = now, cpu
        seen[name] = [now, now, 0.0, cpu, cpu]
        current[0] = name
        with timed(self, name):
            yield
        now, cpu = time.perf_counter() - START, time.process_time()
        seen[name][1], seen[name][4] = now, cpu
        current[0] = f"after {name}"
        seen[current[0]] = [now, now, 0.0, cpu, cpu]

    Session.timed = watched  # type: ignore[method-assign]
    segsql.run(args.config)
    seen[current[0]][1], seen[current[0]][4] = time.perf_counter() - START, time.process_time()
    time.sleep(0.02)
    # CPU s / seconds near 2 on this 2-core machine: both cores busy; near 1: one core idle
    print(f"{'step':24} {'start s':>8} {'seconds':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, (start, end, peak, cpu0, cpu1) in seen.items():
        if name.startswith("after ") and end - start < 0.005:  # nothing ran between two steps
            continue
        print(f"{name:24} {start:8.2f} {end - start:8.2f} {cpu1 - cpu0:8.2f} {peak:8.0f}")


if __name__ == "__main__":
    main()
