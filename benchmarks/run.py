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
  the ratio of send attempts per second (InMails sent and attempts a rule refused, as issue 14 counts
  them) to bare-SimPy events per second: the figure that holds across machines.

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
TARGET_RATIO = 1.0  # attempts per second per bare-SimPy event per second, every path at 1,000 seats (issue 14)
TARGET_SCALING = 1.3  # time per InMail at 1,000 seats over that at 10 seats
TARGET_YEAR_SECONDS = 40.0  # `inmail-sim run --tables full`, 1,000 seats for 365 days
TARGET_YEAR_MB = 500.0  # peak memory of that command
TARGET_RUN_OVER_SIMULATE = 1.5  # `inmail-sim run`, 1,000 seats x 90 days x 10: wall over the simulation's time
TARGET_COMMAND_SECONDS = 0.5  # `inmail-sim validate` and `presets`


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


def one_run(engine: str, seats: int, days: int, tables: bool, path: str = "reference") -> dict[str, Any]:
    """One replication of a workload (the reference one, or a feature path's at its own horizon when `path`
    is not "reference"), measured: what a child process prints."""
    import sim
    from sim.model import ENGINES
    from sim.model.types import BLOCK_REASONS
    from sim.output.results import replication_kpis, replication_tables

    if path == "reference":
        spec = workloads.scenario(seats, days, engine)
    else:
        spec = workloads.path_scenario(path, seats, engine)
    scenario = sim.load_scenario(spec)
    rss_start = _maxrss_mb()
    start = time.perf_counter()
    model = ENGINES[engine](scenario, 0, scenario.seed)
    built = time.perf_counter()
    out = model.run()
    done = time.perf_counter()
    rss_run = _maxrss_mb()
    kpis = replication_kpis(out, scenario.resolved_rules())
    result: dict[str, Any] = {
        "engine": engine,
        "path": path,
        "seats": seats,
        "days": scenario.horizon_days,
        "messages": len(out.messages),
        "inmails_sent": int(kpis["inmails_sent"]),
        "attempts": len(out.messages) + sum(int(kpis[f"sends_blocked_{r}"]) for r in BLOCK_REASONS),
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


STAGES = ("imports", "simulate", "tables", "analytics", "figures", "report", "other")


def cli_stages(seats: int = 1000, days: int = 90, replications: int = 10) -> dict[str, Any]:
    """`inmail-sim run --tables full --executor serial` of a workload, in this (child) process, its wall time
    split into stages: each stage's functions are wrapped with a timer that counts their own time (less
    that of any timed function they call, such as the sink's writes inside the engine's run):
    imports (the command's modules), simulate (building and running the engines), tables (making and
    writing every table), analytics (the week aggregates), figures, report; other is the rest (loading
    and checking the scenario, the results folder)."""
    import tempfile

    start = time.perf_counter()
    from sim.cli.main import main as cli_main
    from sim.model.fast.engine import FastOutreach
    from sim.output import experiment
    from sim.output import results as results_mod
    from sim.output import writer as writer_mod
    from sim.present import report as report_mod

    spent = dict.fromkeys(STAGES, 0.0)
    spent["imports"] = time.perf_counter() - start
    inner: list[float] = []

    def timed(owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            inner.append(0.0)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                total = time.perf_counter() - t0
                spent[stage] += total - inner.pop()
                if inner:
                    inner[-1] += total

        setattr(owner, name, wrapper)

    timed(FastOutreach, "__init__", "simulate")
    timed(FastOutreach, "run", "simulate")
    for name in ("messages", "credits", "add_inmails", "add_credits", "finish"):
        timed(writer_mod.ReplicationWriter, name, "tables")
    for name in ("write", "close"):
        timed(writer_mod.TableWriter, name, "tables")
    timed(experiment, "replication_tables", "tables")
    timed(results_mod.Results, "save_summary", "tables")
    timed(writer_mod.ReplicationWriter, "extras", "analytics")
    timed(experiment, "_analytics_report", "analytics")
    timed(experiment, "_sum_parts", "analytics")
    timed(results_mod.Results, "save_figures", "figures")
    timed(report_mod, "write_report", "report")
    with tempfile.TemporaryDirectory(prefix="inmail-bench-") as tmp:
        path = Path(tmp) / "workload.yaml"
        import yaml

        path.write_text(yaml.safe_dump(workloads.scenario(seats, days)), encoding="utf-8")
        argv = ["run", str(path), "--out", str(Path(tmp) / "out"), "--tables", "full", "--quiet",
                "--replications", str(replications), "--executor", "serial"]  # fmt: skip
        if cli_main(argv):
            raise RuntimeError("inmail-sim run failed")
    seconds = time.perf_counter() - start
    spent["other"] = seconds - sum(spent.values())
    return {"seats": seats, "days": days, "replications": replications, "seconds": seconds, "stages": spent,
            "peak_mb": _maxrss_mb()}  # fmt: skip


def stages_table(row: dict[str, Any]) -> str:
    head = f"{'inmail-sim run --tables full':<30}{'wall s':>8}" + "".join(f"{s:>10}" for s in STAGES)
    line = f"{row['seats']:,} seats x {row['days']} days x {row['replications']:<5}{row['seconds']:>8.2f}"
    line += "".join(f"{row['stages'][s]:>10.2f}" for s in STAGES)
    return f"{head}\n{line}\n(seconds; wall over simulate: {row['seconds'] / row['stages']['simulate']:.2f}x)"


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
    attempt_rate = statistics.median(r["attempts"] / r["seconds"] for r in runs)
    return {
        "engine": first["engine"],
        "path": first.get("path", "reference"),
        "seats": first["seats"],
        "days": first["days"],
        "runs": len(runs),
        "messages": first["messages"],
        "inmails_sent": first["inmails_sent"],
        "attempts": first["attempts"],
        "events": first["events"],
        "seconds": seconds,
        "build_seconds": _median(runs, "build_seconds"),
        "run_seconds": _median(runs, "run_seconds"),
        "tables_seconds": _median(runs, "tables_seconds"),
        "inmails_per_second": rate,
        "attempts_per_second": attempt_rate,
        "run_inmails_per_second": statistics.median(r["messages"] / r["run_seconds"] for r in runs),
        "microseconds_per_inmail": 1e6 / rate,
        "events_per_inmail": first["events"] / first["messages"],
        "ratio_to_bare_simpy": attempt_rate / bare_rate,
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
        f"{'engine':<10}{'path':<17}{'seats':>6}{'days':>5}{'runs':>5}{'InMails':>12}{'attempts':>12}{'wall s':>9}"
        f"{'run s':>8}"
        f"{'tables s':>9}"
        f"{'InMails/s':>12}{'us/InMail':>10}{'events/InMail':>14}{'ratio':>7}{'peak MB':>9}{'+tables MB':>11}",
    ]
    for r in rows:
        lines.append(
            f"{r['engine']:<10}{r['path']:<17}{r['seats']:>6}{r['days']:>5}{r['runs']:>5}{r['messages']:>12,}"
            f"{r['attempts']:>12,}{r['seconds']:>9.2f}{_fmt(r['run_seconds'], '8.2f')}"
            f"{_fmt(r['tables_seconds'], '9.2f')}"
            f"{r['inmails_per_second']:>12,.0f}{r['microseconds_per_inmail']:>10.2f}{r['events_per_inmail']:>14.5f}"
            f"{r['ratio_to_bare_simpy']:>7.3f}{_fmt(r['peak_mb'], '9.0f')}{_fmt(r['peak_with_tables_mb'], '11.0f')}"
        )
    return "\n".join(lines)


def _check(target: str, value: float, met: bool) -> dict[str, Any]:
    return {"target": target, "value": value, "met": met}


def targets(
    rows: list[dict[str, Any]], cli_rows: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Issue 14's targets (and issue 7's that still hold) against this run's figures."""

    def find(engine: str, seats: int, days: int, path: str = "reference") -> dict[str, Any] | None:
        want = (engine, path, seats, days)
        return next((r for r in rows if (r["engine"], r["path"], r["seats"], r["days"]) == want), None)

    checks = []
    for path in workloads.PATHS:
        row = find("fast", 1000, workloads.PATHS[path][0], path)
        if row:
            ratio = row["ratio_to_bare_simpy"]
            checks.append(_check(f"path {path}: at least {TARGET_RATIO} attempts/s per bare-SimPy event/s",
                                 round(ratio, 3), ratio >= TARGET_RATIO))  # fmt: skip
    big, small = find("fast", 1000, 90), find("fast", 10, 90)
    if big and small:
        scaling = big["microseconds_per_inmail"] / small["microseconds_per_inmail"]
        checks.append(_check(f"time per InMail at 1,000 seats at most {TARGET_SCALING}x that at 10 seats",
                             round(scaling, 3), scaling <= TARGET_SCALING))  # fmt: skip
    full = next((r for r in cli_rows or [] if r["mode"] == "full"), None)
    if full:
        year = "inmail-sim run --tables full, 1,000 seats x 365 days"
        checks.append(_check(f"{year}: under {TARGET_YEAR_SECONDS:.0f} s",
                             round(full["seconds"], 2), full["seconds"] < TARGET_YEAR_SECONDS))  # fmt: skip
        checks.append(_check(f"{year}: peak under {TARGET_YEAR_MB:.0f} MB",
                             round(full["peak_mb"]), full["peak_mb"] < TARGET_YEAR_MB))  # fmt: skip
    stages = (extra or {}).get("stages")
    if stages:
        over = stages["seconds"] / stages["stages"]["simulate"]
        checks.append(_check(f"inmail-sim run --tables full, 1,000 seats x 90 days x {stages['replications']}: "
                             f"wall at most {TARGET_RUN_OVER_SIMULATE}x the simulation's time",
                             round(over, 2), over <= TARGET_RUN_OVER_SIMULATE))  # fmt: skip
    for name, seconds in ((extra or {}).get("commands") or {}).items():
        checks.append(_check(f"inmail-sim {name}: under {TARGET_COMMAND_SECONDS} s", round(seconds, 2),
                             seconds < TARGET_COMMAND_SECONDS))  # fmt: skip
    ref = find("reference", 1000, 90)
    if ref and big:
        checks.append(_check("fast over reference, InMails/s at 1,000 seats (about 10x asked)",
                             round(big["inmails_per_second"] / ref["inmails_per_second"], 1),
                             big["inmails_per_second"] >= 10 * ref["inmails_per_second"]))  # fmt: skip
    return checks


def count_key(row: dict[str, Any]) -> str:
    """The key of a workload's pinned counts: engine/seats/days, with the path for the feature paths."""
    path = "" if row["path"] == "reference" else f"{row['path']}/"
    return f"{row['engine']}/{path}{row['seats']}/{row['days']}"


def check_counts(rows: list[dict[str, Any]], update: bool) -> list[str]:
    """Compare each workload's event and InMail counts with the pinned ones; warnings for differences."""
    pinned: dict[str, dict[str, int]] = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    warnings = []
    for r in rows:
        key = count_key(r)
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


def command_seconds(args: list[str]) -> float:
    """Wall time of `python -m sim.cli ARGS` in a fresh process (imports included)."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"inmail-sim {' '.join(args)} failed:\n{proc.stderr}")
    return seconds


def _plan(args: argparse.Namespace, runs: int) -> list[tuple[str, str, int, int, int, bool]]:
    """(engine, path, seats, days, runs, with tables) of every workload measured."""
    plan = [("fast", "reference", seats, 90, runs, True) for seats in (10, 100, 1000)]
    paths = [(path, days) for path, (days, _) in workloads.PATHS.items() if path != "reference"]
    plan += [("fast", path, 1000, days, runs, False) for path, days in paths]
    plan += [("reference", "reference", seats, 90, runs, True) for seats in (10, 100)]
    if args.full or args.update_counts:
        plan.append(("reference", "reference", 1000, 90, runs if args.full else 1, True))
    plan.append(("fast", "reference", 1000, 365, runs, False))
    return plan


def _child_main(child: list[str]) -> int:
    if child[0] == "simpy":
        print(json.dumps(bare_simpy()))
    elif child[0] == "cli":
        print(json.dumps(cli_run(child[1])))
    elif child[0] == "stages":
        print(json.dumps(cli_stages()))
    else:
        engine, path, seats, days, tables = child
        print(json.dumps(one_run(engine, int(seats), int(days), tables == "tables", path)))
    return 0


def _cli_rows(runs: int) -> list[dict[str, Any]]:
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
    return cli_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure, the median is reported (>= 3)")
    parser.add_argument("--quick", action="store_true", help="skip the `inmail-sim run` commands")
    parser.add_argument("--full", action="store_true", help="run the reference engine at 1,000 seats --runs times")
    parser.add_argument("--update-counts", action="store_true", help="pin the event and InMail counts")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args.child)
    runs = max(3, args.runs)
    print(f"make bench: median of {runs} runs per figure, each in its own process", file=sys.stderr)
    bare_runs = measure("bare SimPy", ["simpy"], runs)
    bare = {
        "events": BARE_EVENTS,
        "runs": runs,
        "events_per_second": statistics.median(r["events_per_second"] for r in bare_runs),
        "all_runs": bare_runs,
    }
    rows = []
    for engine, path, seats, days, n, tables in _plan(args, runs):
        label = f"{engine} engine, {path}, {seats} seats, {days} days"
        child = [engine, path, str(seats), str(days), "tables" if tables else "no-tables"]
        rows.append(summarise(measure(label, child, n), bare["events_per_second"]))
        print(
            f"  {label}: {rows[-1]['seconds']:.2f} s, {rows[-1]['inmails_per_second']:,.0f} InMails/s", file=sys.stderr
        )
    extra: dict[str, Any] = {}
    cli_rows = [] if args.quick else _cli_rows(runs)
    if not args.quick:
        extra["stages"] = measure("inmail-sim run in stages, 1,000 seats, 90 days, 10 replications", ["stages"], 1)[0]
        extra["commands"] = {
            name: statistics.median(command_seconds(cmd) for _ in range(runs))
            for name, cmd in (("validate", ["validate", "scenarios/baseline.yaml"]), ("presets", ["presets"]))
        }
    warnings = check_counts(rows, args.update_counts)
    checks = targets(rows, cli_rows, extra)
    report = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "command": " ".join([Path(sys.executable).name, "benchmarks/run.py", *(argv or sys.argv[1:])]),
        "bare_simpy": bare,
        "workloads": rows,
        "cli": cli_rows,
        **extra,
        "targets": checks,
        "count_warnings": warnings,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(table(bare, rows))
    if cli_rows:
        print()
        print(cli_table(cli_rows))
    if "stages" in extra:
        print()
        print(stages_table(extra["stages"]))
        print("  " + ", ".join(f"inmail-sim {k}: {v:.2f} s" for k, v in extra["commands"].items()))
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
