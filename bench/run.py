"""Benchmark segsql against the pandas and Polars recipes and the floor, on the same file, in one run.

    python bench/run.py 1000000                # generates bench/data/tx_1m.parquet if missing
    python bench/run.py 10000000 --skip pandas --memory-limit 3GB
    python bench/run.py 100000000 --only segsql --minibatch --memory-limit 8GB --nice 19

Each contender runs as a child process; its wall time is measured here, and its
peak memory is the largest resident set of its process tree: the sum of the
proportional set sizes of the child and its descendants, sampled every 20 ms, or
the child's own maximum resident set size (``os.wait4``) when that is larger. The contenders:

- ``segsql``: ``segsql run --quiet`` with ``bench/segsql.toml``, segsql's defaults
  (RFM recipe, K = 2..10 by silhouette, the report drawn), as a user runs it; its
  per-stage seconds read back from the ``runs`` table;
- ``pandas``: ``bench/peer.py`` (pandas + scikit-learn, the seed tutorial's recipe scaled up);
- ``polars``: ``bench/peer_polars.py`` (lazy Polars + scikit-learn, the same sweep as segsql's);
- ``floor``:  ``bench/floor.py`` (DuckDB aggregate + one KMeans(n_init=10) fit at segsql's K).

The floor's labels are scikit-learn's full fit at segsql's K: every contender's
labels are compared with them (adjusted Rand index; 1.0 is the same partition).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CONTENDERS = ("segsql", "polars", "pandas", "floor")


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def _tree_rss(pid: int) -> int:
    """The memory (bytes) of ``pid``'s descendants with ``pid`` itself, now; 0 while it has none.

    The sum of their proportional set sizes (PSS), so that the pages a forked child
    shares with its parent count once. A child alone is measured exactly by its own
    maximum resident set size (``os.wait4``), so it is not sampled (reading PSS walks
    the page tables: costly on a large process).
    """
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    if len(tree) == 1:
        return 0
    total = 0
    for p in tree:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
        except (FileNotFoundError, ProcessLookupError, ValueError, StopIteration):
            continue
    return total


def measure(
    argv: list[str],
    *,
    limit_bytes: int | None = None,
    timeout: float | None = None,
    nice: int = 0,
    log: Path | None = None,
) -> dict:
    """Run argv as a child; return its wall seconds, peak RSS of its tree (MB), exit status and stdout.

    ``log``: the child's stderr goes to this file as it runs (progress of a long run).
    """

    def setup() -> None:
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
        if nice:
            os.nice(nice)

    start = time.perf_counter()
    stderr = log.open("wb") if log else subprocess.PIPE
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, preexec_fn=setup)
    # the pipes are drained while the child runs (a chatty child would block on a full pipe)
    out: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda n=n, s=s: out.__setitem__(n, s.read()), daemon=True)
        for n, s in (("stdout", child.stdout), ("stderr", child.stderr))
        if s is not None
    ]
    for r in readers:
        r.start()
    deadline = None if timeout is None else start + timeout
    tree_peak = 0
    while True:
        tree_peak = max(tree_peak, _tree_rss(child.pid))
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    for r in readers:
        r.join()
    if log:
        stderr.close()
        out["stderr"] = log.read_bytes()
    err = out.get("stderr", b"").decode(errors="replace")
    return {
        "seconds": seconds,
        # Linux reports ru_maxrss in KiB: the child's own high-water mark, exact
        "peak_mb": max(tree_peak / 2**20, usage.ru_maxrss / 1024),
        "own_peak_mb": usage.ru_maxrss / 1024,
        # CPU seconds of the child and its waited-for descendants: less sensitive to the load
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "status": os.waitstatus_to_exitcode(status),
        "stdout": out.get("stdout", b"").decode(errors="replace"),
        "stderr_tail": "\n".join(err.strip().splitlines()[-3:]),
    }


def _child_report(r: dict) -> dict:
    report = json.loads(r["stdout"].strip().splitlines()[-1])
    return {"k": report["k"], "inertia": report["inertia"], "steps": report["seconds"]}


def segsql_config(data: Path, out: Path, *, minibatch: bool, memory_limit: str | None) -> Path:
    """bench/segsql.toml pointed at ``data`` and ``out``, with the scale options asked for."""
    text = (HERE / "segsql.toml").read_text()
    text = text.replace('path = "data/tx_1m.parquet"', f'path = "{data.resolve()}"')
    text = text.replace('database = "out/bench.duckdb"', f'database = "{(out / "bench.duckdb").resolve()}"')
    text = text.replace('dir = "out/bench"', f'dir = "{(out / "segsql").resolve()}"')
    if memory_limit:
        text = text.replace('name = "bench"\n', f'name = "bench"\nmemory_limit = "{memory_limit}"\n')
    if minibatch:
        text = text.replace("[output]\n", '[model]\nalgorithm = "minibatch"\n\n[output]\n')
    path = out / "segsql.toml"
    path.write_text(text)
    return path


def _ari(reference: tuple[np.ndarray, np.ndarray], ids: np.ndarray, labels: np.ndarray) -> float:
    """Adjusted Rand index of ``labels`` (of customers ``ids``) against the reference labels."""
    from sklearn.metrics import adjusted_rand_score

    ref_ids, ref_labels = reference
    order = np.argsort(ids)
    ids, labels = ids[order], labels[order]
    if ids.shape != ref_ids.shape or not np.array_equal(ids, ref_ids):
        return float("nan")  # not the same customers
    return float(adjusted_rand_score(ref_labels, labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int)
    parser.add_argument("--skip", action="append", default=[], choices=CONTENDERS)
    parser.add_argument("--only", action="append", default=[], choices=CONTENDERS)
    parser.add_argument("--peer-limit-gb", type=float, help="address-space cap for the peers (prlimit --as)")
    parser.add_argument("--timeout", type=float, help="seconds before a contender is stopped")
    parser.add_argument("--k", type=int, help="the floor's K when segsql is skipped (default: segsql's K)")
    parser.add_argument(
        "--minibatch", action="store_true", help='segsql with algorithm = "minibatch" (streamed when large)'
    )
    parser.add_argument("--memory-limit", help='segsql\'s [project] memory_limit, e.g. "6GB"')
    parser.add_argument("--nice", type=int, default=0, help="run the contenders at this niceness")
    parser.add_argument("--tag", default="", help="suffix of the results file (results<tag>.json)")
    parser.add_argument(
        "--segsql",
        default=str(BIN / "segsql"),
        help="the segsql command to time (default: this venv's); a user's install has no test extra, so no "
        "pandas, which scikit-learn would otherwise load: see bench/README.md, 'Commands'",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="segsql runs without --quiet, its stderr kept in bench/out/<size>/segsql.log "
        "(warnings and errors; the live progress display needs a terminal)",
    )
    args = parser.parse_args()
    run = [c for c in CONTENDERS if c not in args.skip and (not args.only or c in args.only)]

    data = HERE / "data" / f"tx_{label(args.customers)}.parquet"
    out = HERE / "out" / label(args.customers)
    out.mkdir(parents=True, exist_ok=True)
    if not data.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(args.customers), "-o", str(data)], check=True
        )
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}"
    )
    print(f"data: {data} ({data.stat().st_size / 1e6:.0f} MB); segsql: {args.segsql}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared; see bench/README.md)")

    results: dict[str, dict] = {}
    labels: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    k = args.k
    limit = int(args.peer_limit_gb * 2**30) if args.peer_limit_gb else None
    if "segsql" in run:
        db = out / "bench.duckdb"
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
        config = segsql_config(data, out, minibatch=args.minibatch, memory_limit=args.memory_limit)
        r = measure(
            [args.segsql, "run", *([] if args.progress else ["--quiet"]), str(config)],
            timeout=args.timeout,
            nice=args.nice,
            log=out / "segsql.log" if args.progress else None,
        )
        if r["status"] == 0:
            with duckdb.connect(str(db), read_only=True) as con:
                row = con.execute(
                    "SELECT k, timings, input_rows, sweep_rows, inertia, algorithm FROM segsql.runs_latest"
                ).fetchall()[0]
                if args.customers <= 20_000_000:
                    ids, seg = (
                        con.execute("SELECT customer_id, segment FROM segsql.segments_latest")
                        .fetchnumpy()
                        .values()
                    )
                    labels["segsql"] = (ids, seg)
            k = k or row[0]
            r |= {
                "k": row[0],
                "stages": json.loads(row[1]),
                "rows": row[2],
                "sweep_rows": row[3],
                "inertia": row[4],
                "algorithm": row[5],
            }
        results["segsql"] = r
    for name, script in (("polars", "peer_polars.py"), ("pandas", "peer.py")):
        if name not in run:
            continue
        path = out / f"{name}_labels.parquet"
        r = measure(
            [sys.executable, str(HERE / script), str(data), "-o", str(path)],
            limit_bytes=limit,
            timeout=args.timeout,
            nice=args.nice,
        )
        if r["status"] == 0:
            r |= _child_report(r)
            table = pq.read_table(path)
            labels[name] = (table["customer_id"].to_numpy(), table["segment"].to_numpy())
        k = k or r.get("k")
        results[name] = r
    reference = None
    if "floor" in run and k:
        path = out / "floor_labels.npz"
        r = measure(
            [sys.executable, str(HERE / "floor.py"), str(data), "--k", str(k), "--labels", str(path)],
            timeout=args.timeout,
            nice=args.nice,
        )
        if r["status"] == 0:
            r |= _child_report(r)
            saved = np.load(path)
            order = np.argsort(saved["customer_id"])
            reference = (saved["customer_id"][order], saved["label"][order])
        results["floor"] = r
    for name, (ids, seg) in labels.items():
        if reference is not None:
            results[name]["ari_vs_full_fit"] = _ari(reference, ids, seg)

    print(f"\n{'':8} {'seconds':>9} {'CPU s':>7} {'peak MB':>9}  K  {'ARI':>6}  status")
    for name, r in results.items():
        ari = r.get("ari_vs_full_fit")
        print(
            f"{name:8} {r['seconds']:9.1f} {r['cpu_seconds']:7.1f} {r['peak_mb']:9.0f} "
            f"{r.get('k', '-')!s:>2}  "
            f"{'-' if ari is None else f'{ari:.4f}':>6}  "
            f"{'ok' if r['status'] == 0 else 'FAILED ' + str(r['status']) + ': ' + r['stderr_tail']}"
        )
    ok = {n: r for n, r in results.items() if r["status"] == 0}
    s = ok.get("segsql")
    if s:
        for name in ("pandas", "polars"):
            if name in ok:
                p = ok[name]
                print(
                    f"{name} / segsql: {p['seconds'] / s['seconds']:.1f}x the time; segsql's peak memory "
                    f"{s['peak_mb'] / p['peak_mb']:.2f}x {name}'s"
                )
        if "floor" in ok:
            print(f"segsql / floor: {s['seconds'] / ok['floor']['seconds']:.2f}x the time")
        print(
            f"segsql stages (s): {json.dumps(s['stages'])}; rows {s['rows']}, sweep on {s['sweep_rows']}, "
            f"{s['algorithm']}"
        )
        _targets(ok)
    for name in ("pandas", "polars", "floor"):
        if ok.get(name, {}).get("steps"):
            print(f"{name} steps (s): {json.dumps({k: round(v, 2) for k, v in ok[name]['steps'].items()})}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    name = f"results{args.tag}{'-minibatch' if args.minibatch else ''}.json"
    (out / name).write_text(json.dumps(results, indent=2, default=str))


def _targets(ok: dict[str, dict]) -> None:
    """Issue 16's targets at 1,000,000 customers, met or not (only those this run can tell)."""
    s = ok["segsql"]
    checks = []
    if "pandas" in ok:
        checks.append(("≥ 8x faster than pandas", ok["pandas"]["seconds"] / s["seconds"] >= 8))
        checks.append(("≤ 0.4x pandas' peak memory", s["peak_mb"] / ok["pandas"]["peak_mb"] <= 0.4))
    if "polars" in ok:
        checks.append(("≥ 3x faster than Polars", ok["polars"]["seconds"] / s["seconds"] >= 3))
    if "floor" in ok:
        checks.append(("within 1.8x the floor", s["seconds"] / ok["floor"]["seconds"] <= 1.8))
    if "ari_vs_full_fit" in s:
        checks.append(("labels = the full fit (ARI 1.0)", s["ari_vs_full_fit"] == 1.0))
    print("targets: " + "; ".join(f"{text}: {'met' if met else 'NOT met'}" for text, met in checks))


if __name__ == "__main__":
    main()
