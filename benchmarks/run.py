"""`make bench`: the bare SimPy baseline and both engines on the reference workloads, in one run.

    .venv/bin/python benchmarks/run.py            # everything; the reference engine runs once at 1,000 seats
    .venv/bin/python benchmarks/run.py --quick    # without the reference engine at 1,000 seats (minutes)
    .venv/bin/python benchmarks/run.py --full     # the reference engine at 1,000 seats 3 times too
    .venv/bin/python benchmarks/run.py --update-counts   # pin today's event and InMail counts

Every measurement runs in a fresh subprocess (so one run's heap does not slow the next, and peak memory is
that run's own) and every figure is the median over the runs (`--runs`, at least 3). Writes
benchmarks/results.json and prints a table. Figures:

- bare SimPy: one process yielding 1,000,000 `env.timeout(1)`: events per second.
- per workload: wall time of one replication (building the model and `run()`; table building is timed
  apart), InMails simulated per second (messages sent, over that wall time), SimPy events per InMail,
  peak memory (the process's maximum resident set size after `run()`, and after building the tables), and
  the ratio of InMails per second to bare-SimPy events per second: the figure that holds across machines.

- `inmail-sim run` of the 1,000-seat workload for 365 days, once with `--tables full` (every table written:
  per-InMail and credits rows streamed to Parquet) and once with `--tables summary` (KPIs and daily
  tables): wall time of the whole command (simulation, tables, analytics, figures and report) and its peak
  memory (the maximum resident set size of the command's process).

The event and InMail counts of every workload are deterministic (fixed seed): they are compared with
benchmarks/expected_counts.json and a warning is printed when they differ (the work changed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import workloads  # noqa: E402

RESULTS = HERE / "results.json"
EXPECTED = HERE / "expected_counts.json"
BARE_EVENTS = 1_000_000
TARGET_RATIO = 0.3  # InMails per second per bare-SimPy event per second, at 1,000 seats
TARGET_SCALING = 1.3  # time per InMail at 1,000 seats over that at 10 seats
TARGET_YEAR_SECONDS = 60.0  # 1,000 seats for 365 days in one replication
TARGET_YEAR_MB = 1000.0  # peak memory of `inmail-sim run` of that replication with full tables streamed


def _maxrss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def bare_simpy(n: int = BARE_EVENTS) -> dict[str, Any]:
    import simpy

    def proc(env: simpy.Environment) -> Any:
        for _ in range(n):
            yield env.timeout(1)

    env = simpy.Environment()
    env.process(proc(env))
    start = time.perf_counter()
    env.run()
    seconds = time.perf_counter() - start
    return {"events": n, "seconds": seconds, "events_per_second": n / seconds}


def one_run(engine: str, seats: int, days: int, tables: bool) -> dict[str, Any]:
    """One replication of a workload, measured: what a child process prints."""
    import sim
    from sim.model import ENGINES
    from sim.output.results import replication_kpis, replication_tables

    scenario = sim.load_scenario(workloads.scenario(seats, days, engine))
    rss_start = _maxrss_mb()
    start = time.perf_counter()
    model = ENGINES[engine](scenario, 0, scenario.seed)
    built = time.perf_counter()
    out = model.run()
    done = time.perf_counter()
    rss_run = _maxrss_mb()
    kpis = replication_kpis(out, scenario.resolved_rules().response_kinds)
    result: dict[str, Any] = {
        "engine": engine,
        "seats": seats,
        "days": days,
        "messages": len(out.messages),
        "inmails_sent": int(kpis["inmails_sent"]),
        "events": int(out.events),
        "build_seconds": built - start,
        "run_seconds": done - built,
        "seconds": done - start,
        "rss_start_mb": rss_start,
        "peak_mb": rss_run,
    }
    if tables:
        t0 = time.perf_counter()
        replication_tables(out, scenario)
        result["tables_seconds"] = time.perf_counter() - t0
        result["peak_with_tables_mb"] = _maxrss_mb()
    return result


def cli_run(mode: str, seats: int = 1000, days: int = 365) -> dict[str, Any]:
    """`inmail-sim run --tables <mode>` of a workload in a subprocess: wall time and the subprocess's peak
    memory (this process waits for no other child, so RUSAGE_CHILDREN is that command's)."""
    import tempfile

    import pandas as pd
    import yaml

    with tempfile.TemporaryDirectory(prefix="inmail-bench-") as tmp:
        path = Path(tmp) / "workload.yaml"
        path.write_text(yaml.safe_dump(workloads.scenario(seats, days)), encoding="utf-8")
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "sim.cli", "run", str(path), "--out", str(out), "--tables", mode, "--quiet"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        if proc.returncode:
            raise RuntimeError(f"inmail-sim run failed:\n{proc.stderr}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        runs = pd.read_parquet(out / "runs.parquet")
        sizes = {p.name: p.stat().st_size for p in out.glob("*.parquet")}
    return {
        "mode": mode,
        "seats": seats,
        "days": days,
        "inmails_sent": int(runs["inmails_sent"].sum()),
        "seconds": seconds,
        "peak_mb": peak / 1024 if sys.platform != "darwin" else peak / 2**20,
        "files_mb": {name: round(size / 2**20, 1) for name, size in sorted(sizes.items())},
    }


def cli_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'inmail-sim run':<16}{'seats':>6}{'days':>5}{'runs':>5}{'InMails':>12}{'wall s':>9}{'peak MB':>9}"]
    for r in rows:
        lines.append(
            f"{'--tables ' + r['mode']:<16}{r['seats']:>6}{r['days']:>5}{r['runs']:>5}{r['inmails_sent']:>12,}"
            f"{r['seconds']:>9.2f}{r['peak_mb']:>9.0f}"
        )
    return "\n".join(lines)


def _child(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if proc.returncode:
        raise RuntimeError(f"benchmark child {' '.join(args)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def measure(label: str, args: list[str], runs: int) -> list[dict[str, Any]]:
    out = []
    for i in range(runs):
        print(f"  {label}: run {i + 1} of {runs} ...", end="\r", file=sys.stderr, flush=True)
        out.append(_child(args))
    print(" " * 70, end="\r", file=sys.stderr)
    return out


def summarise(runs: list[dict[str, Any]], bare_rate: float) -> dict[str, Any]:
    first = runs[0]
    for r in runs[1:]:
        if (r["messages"], r["events"]) != (first["messages"], first["events"]):
            raise RuntimeError(f"runs of the same workload did the same work differently: {first} vs {r}")
    seconds = _median(runs, "seconds")
    assert seconds is not None
    rate = statistics.median(r["messages"] / r["seconds"] for r in runs)
    return {
        "engine": first["engine"],
        "seats": first["seats"],
        "days": first["days"],
        "runs": len(runs),
        "messages": first["messages"],
        "inmails_sent": first["inmails_sent"],
        "events": first["events"],
        "seconds": seconds,
        "build_seconds": _median(runs, "build_seconds"),
        "run_seconds": _median(runs, "run_seconds"),
        "tables_seconds": _median(runs, "tables_seconds"),
        "inmails_per_second": rate,
        "run_inmails_per_second": statistics.median(r["messages"] / r["run_seconds"] for r in runs),
        "microseconds_per_inmail": 1e6 / rate,
        "events_per_inmail": first["events"] / first["messages"],
        "ratio_to_bare_simpy": rate / bare_rate,
        "peak_mb": _median(runs, "peak_mb"),
        "rss_start_mb": _median(runs, "rss_start_mb"),
        "peak_with_tables_mb": _median(runs, "peak_with_tables_mb"),
        "all_runs": runs,
    }


def _fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0])
    return "-".rjust(width) if value is None else format(value, spec)


def table(bare: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    lines = [
        f"bare SimPy: {bare['events_per_second']:,.0f} events/s (median of {bare['runs']} runs of "
        f"{BARE_EVENTS:,} timeouts)",
        "",
        f"{'engine':<10}{'seats':>6}{'days':>5}{'runs':>5}{'InMails':>12}{'wall s':>9}{'run s':>8}{'tables s':>9}"
        f"{'InMails/s':>12}{'us/InMail':>10}{'events/InMail':>14}{'ratio':>7}{'peak MB':>9}{'+tables MB':>11}",
    ]
    for r in rows:
        lines.append(
            f"{r['engine']:<10}{r['seats']:>6}{r['days']:>5}{r['runs']:>5}{r['messages']:>12,}"
            f"{r['seconds']:>9.2f}{_fmt(r['run_seconds'], '8.2f')}{_fmt(r['tables_seconds'], '9.2f')}"
            f"{r['inmails_per_second']:>12,.0f}{r['microseconds_per_inmail']:>10.2f}{r['events_per_inmail']:>14.5f}"
            f"{r['ratio_to_bare_simpy']:>7.3f}{_fmt(r['peak_mb'], '9.0f')}{_fmt(r['peak_with_tables_mb'], '11.0f')}"
        )
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]], cli_rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    def find(engine: str, seats: int, days: int) -> dict[str, Any] | None:
        return next((r for r in rows if (r["engine"], r["seats"], r["days"]) == (engine, seats, days)), None)

    checks = []
    big, small, year = find("fast", 1000, 90), find("fast", 10, 90), find("fast", 1000, 365)
    if big:
        checks.append(
            {
                "target": f"1,000 seats: at least {TARGET_RATIO} InMails/s per bare-SimPy event/s",
                "value": round(big["ratio_to_bare_simpy"], 3),
                "met": big["ratio_to_bare_simpy"] >= TARGET_RATIO,
            }
        )
    if big and small:
        scaling = big["microseconds_per_inmail"] / small["microseconds_per_inmail"]
        checks.append(
            {
                "target": f"time per InMail at 1,000 seats at most {TARGET_SCALING}x that at 10 seats",
                "value": round(scaling, 3),
                "met": scaling <= TARGET_SCALING,
            }
        )
    if year:
        checks.append(
            {
                "target": f"1,000 seats for 365 days in one replication under {TARGET_YEAR_SECONDS:.0f} s",
                "value": round(year["seconds"], 2),
                "met": year["seconds"] < TARGET_YEAR_SECONDS,
            }
        )
    full = next((r for r in cli_rows or [] if r["mode"] == "full"), None)
    if full:
        checks.append(
            {
                "target": f"inmail-sim run --tables full, 1,000 seats x 365 days: under {TARGET_YEAR_SECONDS:.0f} s",
                "value": round(full["seconds"], 2),
                "met": full["seconds"] < TARGET_YEAR_SECONDS,
            }
        )
        checks.append(
            {
                "target": f"inmail-sim run --tables full, 1,000 seats x 365 days: peak under {TARGET_YEAR_MB:.0f} MB",
                "value": round(full["peak_mb"]),
                "met": full["peak_mb"] < TARGET_YEAR_MB,
            }
        )
    ref, fast = find("reference", 1000, 90), big
    if ref and fast:
        checks.append(
            {
                "target": "fast over reference, InMails/s at 1,000 seats (about 10x asked)",
                "value": round(fast["inmails_per_second"] / ref["inmails_per_second"], 1),
                "met": fast["inmails_per_second"] >= 10 * ref["inmails_per_second"],
            }
        )
    return checks


def check_counts(rows: list[dict[str, Any]], update: bool) -> list[str]:
    """Compare each workload's event and InMail counts with the pinned ones; warnings for differences."""
    pinned: dict[str, dict[str, int]] = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    warnings = []
    for r in rows:
        key = f"{r['engine']}/{r['seats']}/{r['days']}"
        counts = {"messages": r["messages"], "inmails_sent": r["inmails_sent"], "events": r["events"]}
        if update:
            pinned[key] = counts
        elif key not in pinned:
            warnings.append(f"WARNING: no pinned counts for {key} (run with --update-counts to pin them)")
        elif pinned[key] != counts:
            warnings.append(f"WARNING: the work of {key} changed: pinned {pinned[key]}, now {counts}")
    if update:
        EXPECTED.write_text(json.dumps(dict(sorted(pinned.items())), indent=2) + "\n")
    return warnings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, the median is reported (>= 3)")
    parser.add_argument("--quick", action="store_true", help="skip the reference engine at 1,000 seats")
    parser.add_argument("--full", action="store_true", help="run the reference engine at 1,000 seats --runs times")
    parser.add_argument("--update-counts", action="store_true", help="pin the event and InMail counts")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if args.child[0] == "simpy":
            print(json.dumps(bare_simpy()))
        elif args.child[0] == "cli":
            print(json.dumps(cli_run(args.child[1])))
        else:
            engine, seats, days, tables = args.child
            print(json.dumps(one_run(engine, int(seats), int(days), tables == "tables")))
        return 0
    runs = max(3, args.runs)
    print(f"make bench: median of {runs} runs per figure, each in its own process", file=sys.stderr)
    bare_runs = measure("bare SimPy", ["simpy"], runs)
    bare = {
        "events": BARE_EVENTS,
        "runs": runs,
        "events_per_second": statistics.median(r["events_per_second"] for r in bare_runs),
        "all_runs": bare_runs,
    }
    plan: list[tuple[str, int, int, int, bool]] = []
    for seats in (10, 100, 1000):
        plan.append(("fast", seats, 90, runs, True))
    for seats in (10, 100):
        plan.append(("reference", seats, 90, runs, True))
    if not args.quick:
        plan.append(("reference", 1000, 90, runs if args.full else 1, True))
    plan.append(("fast", 1000, 365, runs, False))
    rows = []
    for engine, seats, days, n, tables in plan:
        label = f"{engine} engine, {seats} seats, {days} days"
        rows.append(
            summarise(
                measure(label, [engine, str(seats), str(days), "tables" if tables else "no-tables"], n),
                bare["events_per_second"],
            )
        )
        print(
            f"  {label}: {rows[-1]['seconds']:.2f} s, {rows[-1]['inmails_per_second']:,.0f} InMails/s", file=sys.stderr
        )
    cli_rows = []
    for mode in ("full", "summary"):
        label = f"inmail-sim run --tables {mode}, 1,000 seats, 365 days"
        done = measure(label, ["cli", mode], runs)
        cli_rows.append(
            {
                **done[0],
                "runs": len(done),
                "seconds": statistics.median(r["seconds"] for r in done),
                "peak_mb": statistics.median(r["peak_mb"] for r in done),
                "all_runs": done,
            }
        )
        print(f"  {label}: {cli_rows[-1]['seconds']:.2f} s, {cli_rows[-1]['peak_mb']:,.0f} MB", file=sys.stderr)
    warnings = check_counts(rows, args.update_counts)
    checks = targets(rows, cli_rows)
    report = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "command": " ".join([Path(sys.executable).name, "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "bare_simpy": bare,
        "workloads": rows,
        "cli": cli_rows,
        "targets": checks,
        "count_warnings": warnings,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(bare, rows))
    print()
    print(cli_table(cli_rows))
    print()
    for c in checks:
        print(f"  [{'met' if c['met'] else 'NOT MET'}] {c['target']}: {c['value']}")
    if any(r["runs"] < 3 for r in rows):
        print("  (rows with fewer than 3 runs: the reference engine at 1,000 seats takes minutes a run; --full)")
    for w in warnings:
        print(w)
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
