"""Benchmark the nightly refresh at England scale and beyond, against what DuckDB alone needs.

    uv run python benchmarks/bench.py [--scales 1,2,5] [--runs 3] [--work /tmp/ipskpi-bench]

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
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent
sys.path.insert(0, str(PROJECT_DIR))

from ipskpi import sql  # noqa: E402
from ipskpi.contract import PROVIDER_TABLES  # noqa: E402
from ipskpi.dbt_runner import dbt_args, dbt_env, dbt_executable  # noqa: E402
from ipskpi.ingest.provider_returns import discover_returns  # noqa: E402
from ipskpi.ingest.readers import clean_header, csv_header, read_csv_sql  # noqa: E402

RESULTS = HERE / "results.json"
README = HERE / "README.md"
BIN = Path(sys.executable).parent
PUBLIC_FOLDERS = ("commissioner_returns", "nomis_aps", "dwp_esa", "cqc_cmh_survey", "mhsds")
# Copied from the pipeline's raw layer into the floor's (untimed): the public sources, and the
# columns (no rows) of the load ledger that stg_ingest__load_ledger reads.
COPIED_SCHEMAS = (*PUBLIC_FOLDERS, "ingest")
TIME_LINE = re.compile(r"^\s*Time\s+(.*)$", re.M)
ROWS_LINE = re.compile(r"^\s*Rows\s+([\d,]+) loaded", re.M)
STATUS_LINE = re.compile(r"IPS KPI refresh \S+: (\w+)")


# ---------------------------------------------------------------- machine


def machine() -> dict:
    """Cores, memory, CPU model and the versions that matter."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    versions = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "prefect", "great-expectations"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
    }


# ---------------------------------------------------------------- landing data


def generate_national(seed: int, out: Path) -> Path:
    """``ipskpi generate --scale national --seed N`` once (kept between benchmark runs)."""
    if (out / "MANIFEST.json").exists():
        return out
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "ipskpi"), "generate", "--scale", "national", "--seed", str(seed), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  generated national seed {seed} in {time.perf_counter() - started:.0f}s", flush=True)
    return out


def renamed_code(code: str, copy: int) -> str:
    """The provider code of copy ``copy`` (2..9): the first character becomes the copy number."""
    if not 2 <= copy <= 9:
        raise ValueError("copies 2..9 only")
    return f"{copy}{code[1:]}"


def _rewrite_csv(src: Path, dst: Path, provider: str | None, month: str | None) -> None:
    """Copy a contract CSV, setting provider_code (and, for staff, month). Values never hold commas."""
    with open(src, encoding="utf-8", newline="") as inp, open(dst, "w", encoding="utf-8", newline="") as out:
        header = inp.readline()
        out.write(header)
        names = header.rstrip("\r\n").split(",")
        replace = {}
        if provider is not None and "provider_code" in names:
            replace[names.index("provider_code")] = provider
        if month is not None and src.name == "staff.csv" and "month" in names:
            replace[names.index("month")] = month
        if not replace:
            shutil.copyfileobj(inp, out)
            return
        for line in inp:
            cells = line.rstrip("\r\n").split(",")
            for index, value in replace.items():
                if index < len(cells) and cells[index]:
                    cells[index] = value
            out.write(",".join(cells) + "\n")


def _rewrite_xlsx(src: Path, dst: Path, provider: str | None, month: str | None) -> None:
    """Copy a return workbook sheet by sheet (python-calamine in, the generator's writer out)."""
    from python_calamine import CalamineWorkbook

    from ipskpi.generator.writers import write_xlsx

    book = CalamineWorkbook.from_path(str(src))
    sheets = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        header, body = [str(h) for h in rows[0]], rows[1:]
        columns = {}
        if provider is not None and "provider_code" in header:
            columns[header.index("provider_code")] = provider
        if month is not None and name == "staff" and "month" in header:
            columns[header.index("month")] = month
        fixed = []
        for row in body:
            row = [None if v == "" else v for v in row]
            for index, value in columns.items():
                if row[index] is not None:
                    row[index] = value
            fixed.append(row)
        sheets.append((name, header, fixed))
    write_xlsx(dst, sheets)


def rewrite_return(
    src: Path, out_dir: Path, provider: str, month: str, *, staff_month: str | None = None
) -> Path:
    """Write return ``src`` (CSV folder or workbook) as ``<provider>_<month>`` in ``out_dir``."""
    if src.is_dir():
        dst = out_dir / f"{provider}_{month}"
        dst.mkdir(parents=True, exist_ok=True)
        for file in sorted(src.iterdir()):
            _rewrite_csv(file, dst / file.name, provider, staff_month)
    else:
        dst = out_dir / f"{provider}_{month}.xlsx"
        _rewrite_xlsx(src, dst, provider, staff_month)
    return dst


def renamed_copy(source: Path, copy: int, out: Path) -> Path:
    """The provider returns of ``source`` with every provider renamed for copy ``copy`` (kept)."""
    done = out / ".complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    for delivery in discover_returns(source / "provider_returns"):
        rewrite_return(delivery.path, out, renamed_code(delivery.provider_code, copy), delivery.return_month)
    done.write_text("ok\n")
    print(f"  renamed copy {copy} written in {time.perf_counter() - started:.0f}s", flush=True)
    return out


def _link_all(src_dir: Path, dst_dir: Path) -> None:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for item in sorted(src_dir.iterdir()):
        if not item.name.startswith("."):
            (dst_dir / item.name).symlink_to(item.resolve())


def landing_for_scale(scale: int, work: Path) -> Path:
    """A landing folder of ``scale`` times national, made of symbolic links into the generated data."""
    base = generate_national(1, work / "generated" / "seed1")
    if scale == 1:
        return base
    landing = work / f"landing-x{scale}"
    if (landing / ".complete").exists():
        return landing
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    for folder in PUBLIC_FOLDERS:
        (landing / folder).symlink_to((base / folder).resolve())
    _link_all(base / "provider_returns", landing / "provider_returns")
    for copy in range(2, scale + 1):
        generated = generate_national(copy, work / "generated" / f"seed{copy}")
        renamed = renamed_copy(generated, copy, work / "renamed" / f"seed{copy}")
        _link_all(renamed, landing / "provider_returns")
    (landing / ".complete").write_text("ok\n")
    return landing


def next_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def landing_with_next_month(landing: Path, work: Path, scale: int) -> tuple[Path, str, int]:
    """``landing`` plus one more month: every provider's last return copied as the next month."""
    plus = work / f"landing-x{scale}-next-month"
    deliveries = discover_returns(landing / "provider_returns")
    last = max(d.return_month for d in deliveries)
    new_month = next_month(last)
    latest = [d for d in deliveries if d.return_month == last]
    if not (plus / ".complete").exists():
        shutil.rmtree(plus, ignore_errors=True)
        plus.mkdir(parents=True)
        for folder in PUBLIC_FOLDERS:
            (plus / folder).symlink_to((landing / folder).resolve())
        _link_all(landing / "provider_returns", plus / "provider_returns")
        new_returns = work / f"next-month-x{scale}"
        shutil.rmtree(new_returns, ignore_errors=True)
        new_returns.mkdir(parents=True)
        for delivery in latest:
            rewrite_return(
                delivery.path, new_returns, delivery.provider_code, new_month, staff_month=new_month
            )
        _link_all(new_returns, plus / "provider_returns")
        (plus / ".complete").write_text("ok\n")
    return plus, new_month, len(latest)


def landing_stats(landing: Path) -> dict:
    deliveries = discover_returns(landing / "provider_returns")
    size = 0
    for d in deliveries:
        size += sum(f.stat().st_size for f in d.files())
    months = sorted({d.return_month for d in deliveries})
    return {
        "provider_returns": len(deliveries),
        "csv_returns": sum(d.file_format == "csv" for d in deliveries),
        "xlsx_returns": sum(d.file_format == "xlsx" for d in deliveries),
        "providers": len({d.provider_code for d in deliveries}),
        "months": f"{months[0]}..{months[-1]}" if months else None,
        "provider_return_mb": round(size / 1e6, 1),
    }


# ---------------------------------------------------------------- measured runs


def _timed_process(command: list[str], env: dict, log: Path) -> dict:
    """Run ``command`` under /usr/bin/time -v; wall seconds, peak RSS (MB), exit code, output."""
    stats = log.with_suffix(".time")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(log, "w") as out:
        completed = subprocess.run(
            ["/usr/bin/time", "-v", "-o", str(stats), *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_DIR,
        )
    wall = time.perf_counter() - started
    text = stats.read_text() if stats.exists() else ""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return {
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(int(rss.group(1)) / 1024) if rss else None,
        "exit_code": completed.returncode,
        # The 1-minute load average before and after: the machine may be shared (2 cores).
        "load_avg_before": round(load_before, 1),
        "load_avg_after": round(os.getloadavg()[0], 1),
        "output": log.read_text(),
    }


def _refresh_env(work: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(work / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "GX_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",  # dbt's own opt-out is set by ipskpi.dbt_runner.dbt_env
        }
    )
    return env


def _refresh_record(result: dict, output: str) -> dict:
    """Add the refresh summary's status, rows and "Time" stages to a timed-process result."""
    stages = {}
    time_line = TIME_LINE.search(output)
    if time_line:
        for part in time_line.group(1).split(","):
            name, _, seconds = part.strip().rpartition(" ")
            stages[name] = float(seconds.rstrip("s"))
    status = STATUS_LINE.search(output)
    rows = ROWS_LINE.search(output)
    result.update(
        {
            "status": status.group(1).lower() if status else "failed",
            "rows_loaded": int(rows.group(1).replace(",", "")) if rows else None,
            "stages_s": stages,
        }
    )
    result["other_s"] = round(result["wall_s"] - sum(stages.values()), 1)
    return result


def _saved(work: Path, label: str, resume: bool) -> dict | None:
    record = work / "logs" / f"{label}.json"
    return json.loads(record.read_text()) if resume and record.exists() else None


def _save(work: Path, label: str, result: dict) -> dict:
    (work / "logs" / f"{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def run_refresh(landing: Path, warehouse: Path, work: Path, label: str, resume: bool = False) -> dict:
    """One ``ipskpi refresh`` as a user runs it; its wall time, peak memory and stage split."""
    saved = _saved(work, label, resume)
    if saved is not None:
        print(f"    {label}: reused the measurement saved in {work / 'logs'}", flush=True)
        return saved
    result = _timed_process(
        [str(BIN / "ipskpi"), "refresh", "--landing", str(landing), "--warehouse", str(warehouse)],
        _refresh_env(work),
        work / "logs" / f"{label}.log",
    )
    result = _refresh_record(result, result.pop("output"))
    print(
        f"    {label}: {result['status']} in {result['wall_s']:.0f}s, peak {result['peak_rss_mb']} MB, "
        + ", ".join(f"{k} {v:.0f}s" for k, v in result["stages_s"].items()),
        flush=True,
    )
    return _save(work, label, result)


# ---------------------------------------------------------------- the floor


def _csv_landing(landing: Path, out: Path) -> Path:
    """The provider returns as CSV folders: workbooks converted (before timing; the floor reads CSV)."""
    done = out / ".complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    from python_calamine import CalamineWorkbook

    deliveries = discover_returns(landing / "provider_returns")
    if not deliveries:
        raise FileNotFoundError(f"no provider returns under {landing / 'provider_returns'}")
    for delivery in deliveries:
        if delivery.file_format == "csv":
            (out / delivery.path.name).symlink_to(delivery.path.resolve())
            continue
        folder = out / delivery.return_id
        folder.mkdir()
        book = CalamineWorkbook.from_path(str(delivery.path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                for row in rows:
                    writer.writerow([_cell(v) for v in row])
    done.write_text("ok\n")
    return out


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def floor_load(csv_landing: Path, raw_db: Path) -> None:
    """DuckDB alone: each provider-return table read by one multi-file ``read_csv`` per header.

    The same read as the pipeline's (``read_csv_sql``: the contract's dialect, nothing
    sniffed, columns by position under the header read in Python), grouped by header so
    that no file is sniffed or unioned by name; lineage derived from the file name. No
    checks, no ledger, no supersession.
    """
    con = duckdb.connect(str(raw_db))
    try:
        con.execute("create schema if not exists provider_returns")
        for table in PROVIDER_TABLES:
            files = sorted(csv_landing.glob(f"*/{table.name}.csv"))
            if not files:
                raise FileNotFoundError(f"no {table.name}.csv under {csv_landing}")
            groups: dict[tuple[str, ...], list[Path]] = {}
            for path in files:
                groups.setdefault(tuple(clean_header(csv_header(path))), []).append(path)
            selects = []
            for header, paths in groups.items():
                listed = "[" + ", ".join(sql.literal(sql.file_pattern(p)) for p in paths) + "]"
                position = {name: i for i, name in enumerate(header)}
                columns = [
                    f"c{position[c.name]} as {c.name}"
                    if c.name in position
                    else f"cast(null as varchar) as {c.name}"
                    for c in table.columns
                ]
                selects.append(
                    f"select {', '.join(columns)}, filename, "
                    "row_number() over (partition by filename) + 1 as _row_number "
                    f"from {read_csv_sql(listed, len(header))}"
                )
            con.execute(
                f"""
                create or replace table provider_returns.{table.name} as
                select
                    {", ".join(c.name for c in table.columns)},
                    regexp_extract(filename, '([^/]+)/[^/]+$', 1) as _load_id,
                    filename as _source_file,
                    '' as _file_hash,
                    cast(_row_number as bigint) as _row_number,
                    regexp_extract(filename, '_(\\d{{4}}-\\d{{2}})/[^/]+$', 1) as _return_month,
                    cast(now() as timestamp) as _loaded_at,
                    false as _is_superseded
                from ({" union all ".join(selects)})
                """
            )
    finally:
        con.close()


def _topological(models: dict[str, dict]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for dep in models[key]["depends_on"]["nodes"]:
            if dep in models:
                visit(dep)
        order.append(key)

    for key in sorted(models):
        visit(key)
    return order


def floor_models(manifest_path: Path, build_db: Path, raw_db: Path) -> int:
    """Run every model's compiled SQL once, in dependency order, in one DuckDB connection."""
    manifest = json.loads(manifest_path.read_text())
    models = {
        k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["config"]["enabled"]
    }
    con = duckdb.connect(str(build_db))
    try:
        con.execute(sql.attach("raw", raw_db, "read_only"))
        for schema in {n["schema"] for n in models.values()}:
            con.execute(f"create schema if not exists {schema}")
        for key in _topological(models):
            node = models[key]
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"create or replace {kind} {node['relation_name']} as {node['compiled_code']}")
    finally:
        con.close()
    return len(models)


def _floor_process(args: argparse.Namespace) -> int:
    """The timed part of the floor, in a process of its own so /usr/bin/time sees only it."""
    started = time.perf_counter()
    floor_load(Path(args.csv_landing), Path(args.raw_db))
    load = time.perf_counter() - started
    _copy_public(Path(args.public_raw), Path(args.raw_db))  # not timed: small, and not provider returns
    started = time.perf_counter()
    n = floor_models(Path(args.manifest), Path(args.build_db), Path(args.raw_db))
    print(
        json.dumps(
            {"load_s": round(load, 1), "models_s": round(time.perf_counter() - started, 1), "models": n}
        )
    )
    return 0


def _copy_public(pipeline_raw: Path, raw_db: Path) -> None:
    con = duckdb.connect(str(raw_db))
    try:
        con.execute(sql.attach("pipeline", pipeline_raw, "read_only"))
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'pipeline' "
            f"and schema_name in ({', '.join(repr(s) for s in COPIED_SCHEMAS)})"
        ).fetchall():
            con.execute(f"create schema if not exists {schema}")
            rows = "limit 0" if schema == "ingest" else ""  # the floor keeps no ledger: its columns only
            con.execute(
                f"create or replace table {schema}.{table} as select * from pipeline.{schema}.{table} {rows}"
            )
    finally:
        con.close()


def _dbt(args: list[str], build_db: Path, raw_db: Path, target: Path) -> None:
    env = dbt_env(build_db=build_db, raw_db=raw_db)
    subprocess.run(
        [dbt_executable(), *dbt_args(args, target="duckdb", target_path=target, log_path=target / "logs")],
        env=env,
        check=True,
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
    )


def run_floor(landing: Path, pipeline_raw: Path, work: Path, scale: int, label: str) -> dict:
    """The floor once: fresh raw and build databases, dbt seed + compile untimed, then the timed process."""
    csv_landing = _csv_landing(landing, work / f"floor-csv-x{scale}")
    folder = work / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    raw_db, build_db, target = folder / "raw.duckdb", folder / "build.duckdb", folder / "target"
    duckdb.connect(str(raw_db)).close()
    _dbt(["seed"], build_db, raw_db, target)
    _dbt(["compile"], build_db, raw_db, target)
    result = _timed_process(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "_floor",
            str(csv_landing),
            str(raw_db),
            str(build_db),
            str(target / "manifest.json"),
            str(pipeline_raw),
        ],
        dict(os.environ),
        work / "logs" / f"{label}.log",
    )
    output = result.pop("output")
    if result["exit_code"] != 0:
        raise RuntimeError(f"floor failed:\n{output[-3000:]}")
    timings = json.loads(output.strip().splitlines()[-1])
    result.update(timings)
    result["floor_s"] = round(timings["load_s"] + timings["models_s"], 1)
    print(
        f"    {label}: load {timings['load_s']:.0f}s + models {timings['models_s']:.0f}s, "
        f"peak {result['peak_rss_mb']} MB",
        flush=True,
    )
    return result


# ---------------------------------------------------------------- report


def _median(runs: list[dict], key: str, sub: str | None = None) -> float | None:
    values = [
        (r[key][sub] if sub else r[key]) for r in runs if (r.get(key) if not sub else r.get(key, {}).get(sub))
    ]
    return round(statistics.median(values), 1) if values else None


CORE_STAGES = ("ingest", "dbt build", "audit", "publish")


def summarise(runs: list[dict]) -> dict:
    """Medians over runs: wall, peak memory, each stage of the summary's Time line, the rest."""
    summary: dict = {
        "runs": len(runs),
        "wall_s": _median(runs, "wall_s"),
        "peak_rss_mb": _median(runs, "peak_rss_mb"),
    }
    names: list[str] = []
    for run in runs:
        names += [n for n in run.get("stages_s", {}) if n not in names]
    for stage in names:
        summary[stage] = _median(runs, "stages_s", stage)
    extra = [sum(v for k, v in r.get("stages_s", {}).items() if k not in CORE_STAGES) for r in runs]
    summary["other_stages_s"] = round(statistics.median(extra), 1) if extra else None
    summary["other_stage_names"] = [n for n in names if n not in CORE_STAGES]
    summary["startup_s"] = _median(runs, "other_s")
    return summary


def render_table(results: dict) -> str:
    """One row per scale and measurement: the pipeline's stages beside DuckDB's floor."""
    lines = [
        "| scale | provider returns (MB) | rows loaded | run | wall | peak memory | ingest / load "
        "| dbt build / models | audit | publish | other stages | start-up | x floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def s(v: float | None) -> str:
        return f"{v:,.0f} s" if v is not None else "-"

    for scale, entry in sorted(results["scales"].items(), key=lambda kv: int(kv[0])):
        land = entry["landing"]
        floor = entry.get("floor", {}).get("median", {})
        size = f"{land['provider_returns']:,} ({land['provider_return_mb']:,.0f})"
        for kind in ("full_refresh", "nightly"):
            if kind not in entry:
                continue
            m = summarise(entry[kind]["runs"])
            rows = entry[kind]["runs"][0].get("rows_loaded")
            if m["wall_s"] is None or rows is None:  # a run that did not finish: no stage split
                unfinished = kind.replace("_", " ") + ": did not finish"
                lines.append(f"| {scale}x | {size} | | {unfinished} | | | | | | | | | |")
                continue
            label = kind.replace("_", " ") + (f" (+{entry[kind]['new_month']})" if kind == "nightly" else "")
            ratio = f"{m['wall_s'] / floor['floor_s']:.1f}x" if floor and kind == "full_refresh" else ""
            other = f" ({', '.join(m['other_stage_names'])})" if m["other_stage_names"] else ""
            lines.append(
                f"| {scale}x | {size} | {rows:,} | {label} (n={m['runs']}) | {s(m['wall_s'])} "
                f"| {m['peak_rss_mb']:,.0f} MB | {s(m.get('ingest'))} | {s(m.get('dbt build'))} "
                f"| {s(m.get('audit'))} | {s(m.get('publish'))} "
                f"| {s(m['other_stages_s'])}{other} | {s(m['startup_s'])} | {ratio} |"
            )
        if floor:
            lines.append(
                f"| {scale}x | {size} | | floor: DuckDB alone (n={floor['runs']}) | {s(floor['floor_s'])} "
                f"| {floor['peak_rss_mb']:,.0f} MB | {s(floor['load_s'])} | {s(floor['models_s'])} "
                "| - | - | - | - | 1.0x |"
            )
    return "\n".join(lines)


def write_readme_table(results: dict) -> None:
    text = README.read_text() if README.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    m = results["machine"]
    block = (
        f"{start}\n"
        f"Measured {results['measured_at']} on {m['cores']} cores ({m['cpu_model']}), "
        f"{m['memory_gb']} GB memory, {m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, "
        f"dbt-core {m['dbt-core']}, dbt-duckdb {m['dbt-duckdb']}, Prefect {m['prefect']}, "
        f"Great Expectations {m['great-expectations']}. Medians of n runs.\n\n"
        f"{render_table(results)}\n{end}"
    )
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)


# ---------------------------------------------------------------- main


def bench_scale(
    scale: int, runs: int, work: Path, parts: set[str], resume: bool = False, full_runs_n: int | None = None
) -> dict:
    print(f"scale {scale}x national", flush=True)
    landing = landing_for_scale(scale, work)
    entry: dict = {"landing": landing_stats(landing)}
    warehouse = work / "warehouses" / f"x{scale}-full"
    if parts & {"full", "nightly"}:  # a warehouse per scale would not fit on disk at 5x
        for other in (work / "warehouses").glob("*") if (work / "warehouses").exists() else []:
            if other != warehouse:
                shutil.rmtree(other, ignore_errors=True)
        full_runs = []
        for run in range((full_runs_n or runs) if "full" in parts else 1):
            label = f"x{scale}-full-{run + 1}"
            if _saved(work, label, resume) is None:
                shutil.rmtree(warehouse, ignore_errors=True)
            full_runs.append(run_refresh(landing, warehouse, work, label, resume))
        if not (warehouse / "restricted" / "restricted.duckdb").exists():  # reused measurements, gone
            shutil.rmtree(warehouse, ignore_errors=True)
            full_runs.append(run_refresh(landing, warehouse, work, f"x{scale}-full-{len(full_runs) + 1}"))
        entry["full_refresh"] = {"runs": full_runs, "median": summarise(full_runs)}
    if "nightly" in parts:
        plus, month, returns = landing_with_next_month(landing, work, scale)
        nightly_runs = []
        for run in range(runs):
            label = f"x{scale}-nightly-{run + 1}"
            night = work / "warehouses" / f"x{scale}-nightly"
            shutil.rmtree(night, ignore_errors=True)
            if _saved(work, label, resume) is None:
                shutil.copytree(warehouse, night, symlinks=True)
            nightly_runs.append(run_refresh(plus, night, work, label, resume))
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
            label = f"x{scale}-floor-{run + 1}"
            saved = _saved(work, label, resume)
            if saved is None:
                saved = _save(work, label, run_floor(landing, pipeline_raw, work, scale, label))
            floor_runs.append(saved)
        entry["floor"] = {
            "runs": floor_runs,
            "median": {
                "runs": len(floor_runs),
                "floor_s": _median(floor_runs, "floor_s"),
                "load_s": _median(floor_runs, "load_s"),
                "models_s": _median(floor_runs, "models_s"),
                "peak_rss_mb": _median(floor_runs, "peak_rss_mb"),
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
    if argv and argv[0] == "_floor":
        floor = argparse.ArgumentParser()
        for name in ("csv_landing", "raw_db", "build_db", "manifest", "public_raw"):
            floor.add_argument(name)
        return _floor_process(floor.parse_args(argv[1:]))
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
        default="full,nightly,floor",
        help="which measurements: full, nightly, floor (comma-separated)",
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
    results["machine"] = machine()
    results["method"] = __doc__.strip()
    for scale in (int(s) for s in args.scales.split(",")):
        entry = bench_scale(scale, args.runs, work, parts, args.resume, args.full_runs)
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
