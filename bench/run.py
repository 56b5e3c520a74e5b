"""Benchmark segsql against the hand-written peer and the floor, on the same file, in one run.

    python bench/run.py 1000000                # generates bench/data/tx_1m.parquet if missing
    python bench/run.py 10000000 --skip floor --peer-limit-gb 8

Each contender runs as a child process; its wall time is measured here and its
peak memory is the child's own maximum resident set size (``os.wait4``). The
contenders:

- ``segsql``: ``segsql run --quiet`` with ``bench/segsql.toml`` (the RFM recipe, K = 2..10
  by silhouette), its per-stage seconds read back from the ``runs`` table;
- ``peer``:   ``bench/peer.py`` (pandas + scikit-learn, the seed recipe scaled up);
- ``floor``:  ``bench/floor.py`` (DuckDB aggregate + one KMeans fit at segsql's K).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"


def measure(argv: list[str], *, limit_bytes: int | None = None, timeout: float | None = None) -> dict:
    """Run argv as a child; return its wall seconds, peak RSS (MB), exit status and stdout."""

    def cap() -> None:
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=cap)
    out_chunks: list[bytes] = []
    # stdout is small (one JSON line); read it after the child ends via wait4
    deadline = None if timeout is None else start + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            child.kill()
            pid, status, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    out_chunks.append(child.stdout.read())
    err = child.stderr.read().decode(errors="replace")
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,  # Linux reports KiB
        "status": child.returncode,
        "stdout": b"".join(out_chunks).decode(errors="replace"),
        "stderr_tail": "\n".join(err.strip().splitlines()[-3:]),
    }


def _child_report(r: dict) -> dict:
    report = json.loads(r["stdout"].strip().splitlines()[-1])
    return {"k": report["k"], "inertia": report["inertia"], "steps": report["seconds"]}


def segsql_config(data: Path, out: Path, *, minibatch: bool) -> Path:
    text = (HERE / "segsql.toml").read_text()
    if minibatch:
        text = text.replace('select = "silhouette"', 'select = "silhouette"\nalgorithm = "minibatch"')
    text = text.replace('path = "data/tx_1m.parquet"', f'path = "{data.resolve()}"')
    text = text.replace('database = "out/bench.duckdb"', f'database = "{(out / "bench.duckdb").resolve()}"')
    path = out / "segsql.toml"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int)
    parser.add_argument("--skip", action="append", default=[], choices=["segsql", "peer", "floor"])
    parser.add_argument("--peer-limit-gb", type=float, help="address-space cap for the peer (prlimit --as)")
    parser.add_argument("--timeout", type=float, help="seconds before a contender is stopped")
    parser.add_argument("--k", type=int, help="the floor's K when segsql is skipped (default: segsql's K)")
    parser.add_argument(
        "--minibatch", action="store_true", help='segsql with algorithm = "minibatch" (streamed when large)'
    )
    args = parser.parse_args()

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
    print(f"data: {data} ({data.stat().st_size / 1e6:.0f} MB)")
    print(f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared; see bench/README.md)")

    results: dict[str, dict] = {}
    k = args.k
    if "segsql" not in args.skip:
        db = out / "bench.duckdb"
        for leftover in (db, db.with_suffix(".duckdb.wal")):
            leftover.unlink(missing_ok=True)
        config = segsql_config(data, out, minibatch=args.minibatch)
        r = measure([str(BIN / "segsql"), "run", "--quiet", str(config)], timeout=args.timeout)
        if r["status"] == 0:
            with duckdb.connect(str(db), read_only=True) as con:
                row = con.execute(
                    "SELECT k, timings, input_rows, sweep_rows, inertia FROM segsql.runs_latest"
                ).fetchall()[0]
            k = k or row[0]
            r |= {
                "k": k,
                "stages": json.loads(row[1]),
                "rows": row[2],
                "sweep_rows": row[3],
                "inertia": row[4],
            }
        results["segsql"] = r
    if "peer" not in args.skip:
        limit = int(args.peer_limit_gb * 2**30) if args.peer_limit_gb else None
        r = measure(
            [sys.executable, str(HERE / "peer.py"), str(data), "-o", str(out / "peer_labels.parquet")],
            limit_bytes=limit,
            timeout=args.timeout,
        )
        if r["status"] == 0:
            r |= _child_report(r)
        k = k or r.get("k")
        results["peer"] = r
    if "floor" not in args.skip and k:
        r = measure([sys.executable, str(HERE / "floor.py"), str(data), "--k", str(k)], timeout=args.timeout)
        if r["status"] == 0:
            r |= _child_report(r)
        results["floor"] = r

    print(f"\n{'':8} {'seconds':>9} {'peak MB':>9}  K  status")
    for name, r in results.items():
        print(
            f"{name:8} {r['seconds']:9.1f} {r['peak_mb']:9.0f} {r.get('k', '-')!s:>2}  "
            f"{'ok' if r['status'] == 0 else 'FAILED ' + str(r['status']) + ': ' + r['stderr_tail']}"
        )
    s, p, f = (results.get(n) for n in ("segsql", "peer", "floor"))
    if s and p and s["status"] == 0 and p["status"] == 0:
        print(
            f"peer / segsql: {p['seconds'] / s['seconds']:.1f}x time, "
            f"{p['peak_mb'] / s['peak_mb']:.1f}x peak memory"
        )
    if s and f and s["status"] == 0 and f["status"] == 0:
        print(f"segsql / floor: {s['seconds'] / f['seconds']:.2f}x time")
    if s and s["status"] == 0:
        print(f"segsql stages (s): {json.dumps(s['stages'])}; rows {s['rows']}, sweep on {s['sweep_rows']}")
    for name in ("peer", "floor"):
        if results.get(name, {}).get("steps"):
            print(
                f"{name} steps (s): {json.dumps({k: round(v, 2) for k, v in results[name]['steps'].items()})}"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    name = "results-minibatch.json" if args.minibatch else "results.json"
    (out / name).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
