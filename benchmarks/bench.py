"""Benchmark the nightly refresh at England scale and beyond, against what DuckDB alone needs.

    uv run python benchmarks/bench.py [--scales 1,2,5] [--runs 3] [--memory-limit 2=4GB,5=4GB]
        [--parts sample,full,nightly,floor,peer] [--work /tmp/ipskpi-bench]

For each scale (1 = the ``national`` preset, k = k times it) this measures, as the median
of ``--runs`` runs:

- full refresh: ``ipskpi refresh`` into an empty warehouse, run as a subprocess under
  ``/usr/bin/time -v`` (wall time; peak memory = "Maximum resident set size", the largest
  single process of the run: the ingest/flow process or the dbt subprocess), with the
  stage split (ingest / dbt build / audit / publish) read from the summary's "Time" line;
- nightly increment: one new month of returns on top of the warehouse that full refresh
  left (each run starts from a copy of it, its state/last_build.duckdb included): the last
  month's return of every provider copied as the next month (staff rows moved to the new
  month), so the ingest loads one month and skips the rest by hash, and the dbt build
  extends the last build (incremental current-version models; the period roll-ups, marts,
  tests, audit and reports still cover the whole history);
- floor: DuckDB alone loading the same provider-return CSVs (for each table, one multi-file
  ``read_csv`` per header, read as the pipeline reads them: nothing sniffed) and running
  the compiled SQL of every model once (staging views, intermediate and mart tables, in
  dependency order, from ``dbt compile``): no validation, lineage ledger, tests, audit or
  publish. The pipeline's ratio to it is reported.
- pandas peer: ``benchmarks/pandas_peer.py``, a plain pandas implementation of six KPIs
  (job starts, people into work, 13-week sustainment, active caseload, ES WTE, caseload
  per ES) for every provider, England and financial year, straight from the same landing,
  under ``/usr/bin/time -v``; it checks its figures against the full refresh's restricted
  scorecard, and the full refresh's ratio to it is reported. National only (1x): pandas
  holds every version in memory (4.7 GB at 1x), so 5x would not fit this machine.
- sample: the README's quick start, ``ipskpi refresh`` on the bundled sample into an empty
  warehouse (``--parts sample``), timed the same way.

``--memory-limit`` runs the refreshes and the floor with ``IPSKPI_DUCKDB_MEMORY_LIMIT`` set
(``4GB`` for every scale, or ``2=4GB,5=4GB`` for those scales only); each run records its
cap, the table names it, and a run that did not publish is shown as such. Below the table,
issue 16's goals are read from the same results (national nightly and full refresh, the
ratios to the floor and to the pandas peer, the sample's quick start, 5x under a 4 GB cap).

Scaling: k times national is national (seed 1) plus the provider returns of national
generated with seeds 2..k, each copy's providers renamed (first character of the code
replaced by the copy number: RX4 -> 2X4, NQV01 -> 2QV01) so they are new providers with
their own records; the public sources and commissioner returns stay those of seed 1
(they describe local authorities, which do not multiply). Renamed providers have no
catchment, so they get no local-context rows.

Everything is written under ``--work`` (default /tmp/ipskpi-bench; national is ~790 MB of
landing data per copy); results go to benchmarks/results.json and the table in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path

from floor import run_floor
from harness import (
    RESULTS,
    landing_for_scale,
    landing_stats,
    landing_with_next_month,
    load_saved,
    machine,
    median_of,
    render_table,
    run_peer,
    run_refresh,
    save_result,
    summarise,
    write_readme_table,
)


def memory_limits(spec: str) -> dict[int, str]:
    """``--memory-limit``: ``4GB`` caps every scale; ``2=4GB,5=4GB`` caps those scales only."""
    limits: dict[int, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        scale, _, cap = item.rpartition("=")
        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", cap, re.I):
            raise SystemExit(f"--memory-limit: {cap!r} is not a DuckDB memory size such as 4GB or 800MB")
        if scale:
            limits[int(scale)] = cap
        else:
            limits[0] = cap  # every scale not named
    return limits


def bench_sample(runs: int, work: Path, resume: bool = False) -> dict:
    """The README's quick start: ``ipskpi refresh`` on the bundled sample into an empty warehouse."""
    print("the bundled sample (quick start)", flush=True)
    sample_runs = []
    for run in range(runs):
        label = f"sample-full-{run + 1}"
        warehouse = work / "warehouses" / "sample"
        if load_saved(work, label, resume) is None:
            shutil.rmtree(warehouse, ignore_errors=True)
        sample_runs.append(run_refresh(None, warehouse, work, label, resume))
        shutil.rmtree(warehouse, ignore_errors=True)
    return {"runs": sample_runs, "median": summarise(sample_runs)}


def bench_scale(
    scale: int,
    runs: int,
    work: Path,
    parts: set[str],
    resume: bool = False,
    full_runs_n: int | None = None,
    memory_limit: str | None = None,
) -> dict:
    print(
        f"scale {scale}x national" + (f", DuckDB capped at {memory_limit}" if memory_limit else ""),
        flush=True,
    )
    landing = landing_for_scale(scale, work)
    entry: dict = {"landing": landing_stats(landing), "memory_limit": memory_limit}
    cap = f"-cap{memory_limit}" if memory_limit else ""  # a capped run is not an uncapped one resumed
    warehouse = work / "warehouses" / f"x{scale}-full"
    if parts & {"full", "nightly"}:  # a warehouse per scale would not fit on disk at 5x
        for other in (work / "warehouses").glob("*") if (work / "warehouses").exists() else []:
            if other != warehouse:
                shutil.rmtree(other, ignore_errors=True)
        full_runs = []
        for run in range((full_runs_n or runs) if "full" in parts else 1):
            label = f"x{scale}-full-{run + 1}{cap}"
            if load_saved(work, label, resume) is None:
                shutil.rmtree(warehouse, ignore_errors=True)
            full_runs.append(run_refresh(landing, warehouse, work, label, resume, memory_limit))
        if not (warehouse / "restricted" / "restricted.duckdb").exists():  # reused measurements, gone
            shutil.rmtree(warehouse, ignore_errors=True)
            label = f"x{scale}-full-{len(full_runs) + 1}{cap}"
            full_runs.append(run_refresh(landing, warehouse, work, label, memory_limit=memory_limit))
        entry["full_refresh"] = {"runs": full_runs, "median": summarise(full_runs)}
    if "nightly" in parts:
        plus, month, returns = landing_with_next_month(landing, work, scale)
        nightly_runs = []
        for run in range(runs):
            label = f"x{scale}-nightly-{run + 1}{cap}"
            night = work / "warehouses" / f"x{scale}-nightly"
            shutil.rmtree(night, ignore_errors=True)
            if load_saved(work, label, resume) is None:
                shutil.copytree(warehouse, night, symlinks=True)
            nightly_runs.append(run_refresh(plus, night, work, label, resume, memory_limit))
            shutil.rmtree(night, ignore_errors=True)
        entry["nightly"] = {
            "new_month": month,
            "new_returns": returns,
            "runs": nightly_runs,
            "median": summarise(nightly_runs),
        }
    if "floor" in parts:
        # The floor copies the public sources from a pipeline's raw layer; they are the same at
        # every scale (seed 1's), so any scale's warehouse will do when this one's is gone.
        pipeline_raws = [warehouse / "raw.duckdb", *sorted((work / "warehouses").glob("*/raw.duckdb"))]
        pipeline_raw = next((raw for raw in pipeline_raws if raw.exists()), None)
        if pipeline_raw is None:
            raise FileNotFoundError(f"no pipeline raw layer under {work / 'warehouses'}: run a full refresh")
        floor_runs = []
        for run in range(full_runs_n or runs):
            label = f"x{scale}-floor-{run + 1}{cap}"
            saved = load_saved(work, label, resume)
            if saved is None:
                saved = save_result(
                    work, label, run_floor(landing, pipeline_raw, work, scale, label, memory_limit)
                )
            floor_runs.append(saved)
        entry["floor"] = {
            "runs": floor_runs,
            "median": {
                "runs": len(floor_runs),
                "floor_s": median_of(floor_runs, "floor_s"),
                "load_s": median_of(floor_runs, "load_s"),
                "models_s": median_of(floor_runs, "models_s"),
                "peak_rss_mb": median_of(floor_runs, "peak_rss_mb"),
            },
        }
    if "peer" in parts and scale == 1:  # the goal is at national; at 5x pandas would need ~24 GB
        peer_runs = []
        for run in range(full_runs_n or runs):
            label = f"x{scale}-peer-{run + 1}"
            saved = load_saved(work, label, resume)
            if saved is None:
                saved = save_result(work, label, run_peer(landing, warehouse, work, label))
            peer_runs.append(saved)
        entry["pandas_peer"] = {
            "runs": peer_runs,
            "median": {
                "runs": len(peer_runs),
                "wall_s": median_of(peer_runs, "wall_s"),
                "peak_rss_mb": median_of(peer_runs, "peak_rss_mb"),
                "check": peer_runs[-1].get("check"),
            },
        }
    return entry


def ratio_to_floor(entry: dict) -> dict | None:
    """The full refresh and its stages over DuckDB's floor, when both are measured."""
    full = entry.get("full_refresh", {}).get("median", {})
    floor = entry.get("floor", {}).get("median", {})
    if not (full.get("wall_s") and floor.get("floor_s")):
        return None
    return {
        "full_refresh": round(full["wall_s"] / floor["floor_s"], 1),
        "ingest_vs_load": round(full["ingest"] / floor["load_s"], 1) if full.get("ingest") else None,
        "dbt_build_vs_models": round(full["dbt build"] / floor["models_s"], 1)
        if full.get("dbt build")
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,2,5", help="comma-separated multiples of national (1-9)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median reported)")
    parser.add_argument(
        "--full-runs",
        type=int,
        default=None,
        help="runs of the full refresh and the floor, if fewer than --runs (they are the long ones)",
    )
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/ipskpi-bench"), help="where data and warehouses go"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse measurements already saved in <work>/logs/*.json (runs are long; a failure keeps them)",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite the README table from results.json"
    )
    parser.add_argument(
        "--parts",
        default="sample,full,nightly,floor,peer",
        help="which measurements: sample (the quick start), full, nightly, floor, peer (comma-separated)",
    )
    parser.add_argument(
        "--memory-limit",
        default="",
        help="IPSKPI_DUCKDB_MEMORY_LIMIT for the refreshes and floor: 4GB for every scale, "
        "or 2=4GB,5=4GB for those scales only (default: uncapped, DuckDB's 80%% of memory)",
    )
    args = parser.parse_args(argv)
    work = args.work.resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"scales": {}}
    if args.render:
        for entry in results["scales"].values():
            for kind in ("full_refresh", "nightly"):
                if kind in entry:
                    entry[kind]["median"] = summarise(entry[kind]["runs"])
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_readme_table(results)
        print(render_table(results))
        return 0
    limits = memory_limits(args.memory_limit)
    results["machine"] = machine()
    results["method"] = __doc__.strip()
    if "sample" in parts:
        results["sample"] = bench_sample(args.runs, work, args.resume)
        results["measured_at"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_readme_table(results)
    for scale in (int(s) for s in args.scales.split(",") if s.strip()):
        cap = limits.get(scale, limits.get(0))
        entry = bench_scale(scale, args.runs, work, parts, args.resume, args.full_runs, cap)
        merged = results["scales"].setdefault(str(scale), {})
        merged.update(entry)  # the figures of parts not run this time stay
        ratio = ratio_to_floor(merged)
        if ratio:
            merged["ratio_to_floor"] = ratio
        results["measured_at"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_readme_table(results)
    print(render_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
