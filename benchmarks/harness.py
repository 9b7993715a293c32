"""The benchmark's harness: landing data at k times national, timed refresh runs, the table.

What is measured and how is in :mod:`bench`'s docstring; the floor (DuckDB alone) is
:mod:`floor`. Imported by both; run ``benchmarks/bench.py``, not this module.
"""

from __future__ import annotations

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

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent
sys.path.insert(0, str(PROJECT_DIR))

from ipskpi.ingest.provider_returns import discover_returns  # noqa: E402

RESULTS = HERE / "results.json"
README = HERE / "README.md"
BIN = Path(sys.executable).parent
PUBLIC_FOLDERS = ("commissioner_returns", "nomis_aps", "dwp_esa", "cqc_cmh_survey", "mhsds")
# Copied from the pipeline's raw layer into the floor's (untimed): the public sources, and the
# columns (no rows) of the load ledger that stg_ingest__load_ledger reads.
COPIED_SCHEMAS = (*PUBLIC_FOLDERS, "ingest")
TIME_LINE = re.compile(r"^\s*Time\s+(.*)$", re.M)
ROWS_LINE = re.compile(r"^\s*Rows\s+([\d,]+) loaded", re.M)
# Marks a landing made of hard links (older ones, of symbolic links, are made again).
LINKED = ".complete-hardlinks"
STATUS_LINE = re.compile(r"IPS KPI refresh \S+: (\w+)")
REFUSED_LINE = re.compile(r"^\s*Files\s+.*?(\d+) refused, .*?(\d+) not recognised", re.M)


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


def _link(src: Path, dst: Path) -> None:
    """``src`` at ``dst`` as hard links (a folder as a tree of them), or a copy across devices.

    Not symbolic links: the refresh refuses a landing entry that is one (it never follows
    a link out of the landing), so a landing of symbolic links measures a night that
    refuses every file.
    """

    def link_file(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    if src.is_dir():
        shutil.copytree(src, dst, copy_function=link_file)
    else:
        link_file(str(src), str(dst))


def _link_all(src_dir: Path, dst_dir: Path) -> None:
    dst_dir.mkdir(parents=True, exist_ok=True)
    for item in sorted(src_dir.iterdir()):
        if not item.name.startswith("."):
            _link(item.resolve(), dst_dir / item.name)


def landing_for_scale(scale: int, work: Path) -> Path:
    """A landing folder of ``scale`` times national, made of hard links into the generated data."""
    base = generate_national(1, work / "generated" / "seed1")
    if scale == 1:
        return base
    landing = work / f"landing-x{scale}"
    if (landing / LINKED).exists():
        return landing
    shutil.rmtree(landing, ignore_errors=True)
    landing.mkdir(parents=True)
    for folder in PUBLIC_FOLDERS:
        _link((base / folder).resolve(), landing / folder)
    _link_all(base / "provider_returns", landing / "provider_returns")
    for copy in range(2, scale + 1):
        generated = generate_national(copy, work / "generated" / f"seed{copy}")
        renamed = renamed_copy(generated, copy, work / "renamed" / f"seed{copy}")
        _link_all(renamed, landing / "provider_returns")
    (landing / LINKED).write_text("ok\n")
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
    if not (plus / LINKED).exists():
        shutil.rmtree(plus, ignore_errors=True)
        plus.mkdir(parents=True)
        for folder in PUBLIC_FOLDERS:
            _link((landing / folder).resolve(), plus / folder)
        _link_all(landing / "provider_returns", plus / "provider_returns")
        new_returns = work / f"next-month-x{scale}"
        shutil.rmtree(new_returns, ignore_errors=True)
        new_returns.mkdir(parents=True)
        for delivery in latest:
            rewrite_return(
                delivery.path, new_returns, delivery.provider_code, new_month, staff_month=new_month
            )
        _link_all(new_returns, plus / "provider_returns")
        (plus / LINKED).write_text("ok\n")
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


def timed_process(command: list[str], env: dict, log: Path) -> dict:
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


def capped_env(env: dict, memory_limit: str | None) -> dict:
    """``env`` with ``IPSKPI_DUCKDB_MEMORY_LIMIT`` set to ``memory_limit``, or removed when None."""
    env = dict(env)
    env.pop("IPSKPI_DUCKDB_MEMORY_LIMIT", None)
    if memory_limit:
        env["IPSKPI_DUCKDB_MEMORY_LIMIT"] = memory_limit
    return env


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
    refused = REFUSED_LINE.search(output)
    result.update(
        {
            "status": status.group(1).lower() if status else "failed",
            "rows_loaded": int(rows.group(1).replace(",", "")) if rows else None,
            "files_refused": int(refused.group(1)) if refused else None,
            "files_not_recognised": int(refused.group(2)) if refused else None,
            "stages_s": stages,
        }
    )
    result["other_s"] = round(result["wall_s"] - sum(stages.values()), 1)
    return result


def load_saved(work: Path, label: str, resume: bool) -> dict | None:
    record = work / "logs" / f"{label}.json"
    return json.loads(record.read_text()) if resume and record.exists() else None


def save_result(work: Path, label: str, result: dict) -> dict:
    (work / "logs" / f"{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def run_refresh(
    landing: Path | None,
    warehouse: Path,
    work: Path,
    label: str,
    resume: bool = False,
    memory_limit: str | None = None,
) -> dict:
    """One ``ipskpi refresh`` as a user runs it; its wall time, peak memory and stage split.

    ``landing`` None is the bundled sample (the README's quick start); ``memory_limit`` is
    passed as ``IPSKPI_DUCKDB_MEMORY_LIMIT`` (None: DuckDB's default, 80% of memory).
    """
    saved = load_saved(work, label, resume)
    if saved is not None:
        print(f"    {label}: reused the measurement saved in {work / 'logs'}", flush=True)
        return saved
    command = [str(BIN / "ipskpi"), "refresh", "--warehouse", str(warehouse)]
    if landing is not None:
        command += ["--landing", str(landing)]
    result = timed_process(
        command, capped_env(_refresh_env(work), memory_limit), work / "logs" / f"{label}.log"
    )
    result = _refresh_record(result, result.pop("output"))
    result["memory_limit"] = memory_limit
    if result["files_refused"] or result["files_not_recognised"]:
        # The generated landing is clean: a refused file means the benchmark measured the wrong night.
        raise SystemExit(
            f"{label}: {result['files_refused']} file(s) refused and {result['files_not_recognised']} "
            f"not recognised on a clean landing; see {work / 'logs' / (label + '.log')}"
        )
    print(
        f"    {label}: {result['status']} in {result['wall_s']:.0f}s, peak {result['peak_rss_mb']} MB, "
        + ", ".join(f"{k} {v:.0f}s" for k, v in result["stages_s"].items()),
        flush=True,
    )
    return save_result(work, label, result)


def run_peer(landing: Path, warehouse: Path, work: Path, label: str) -> dict:
    """The pandas peer (benchmarks/pandas_peer.py) on ``landing``, checked against ``warehouse``."""
    record = work / "logs" / f"{label}.peer.json"
    command = [sys.executable, str(HERE / "pandas_peer.py"), "--landing", str(landing), "--json", str(record)]
    restricted = warehouse / "restricted" / "restricted.duckdb"
    if restricted.exists():
        command += ["--check", str(restricted)]
    result = timed_process(command, _refresh_env(work), work / "logs" / f"{label}.log")
    result.pop("output", None)
    if record.exists():
        result["check"] = json.loads(record.read_text()).get("check")
    print(f"    {label}: pandas peer in {result['wall_s']:.0f}s, peak {result['peak_rss_mb']} MB", flush=True)
    return result


# ---------------------------------------------------------------- report


def median_of(runs: list[dict], key: str, sub: str | None = None) -> float | None:
    values = [
        (r[key][sub] if sub else r[key]) for r in runs if (r.get(key) if not sub else r.get(key, {}).get(sub))
    ]
    return round(statistics.median(values), 1) if values else None


CORE_STAGES = ("ingest", "dbt build", "audit", "publish")


def summarise(runs: list[dict]) -> dict:
    """Medians over runs: wall, peak memory, each stage of the summary's Time line, the rest."""
    summary: dict = {
        "runs": len(runs),
        "wall_s": median_of(runs, "wall_s"),
        "peak_rss_mb": median_of(runs, "peak_rss_mb"),
    }
    names: list[str] = []
    for run in runs:
        names += [n for n in run.get("stages_s", {}) if n not in names]
    for stage in names:
        summary[stage] = median_of(runs, "stages_s", stage)
    extra = [sum(v for k, v in r.get("stages_s", {}).items() if k not in CORE_STAGES) for r in runs]
    summary["other_stages_s"] = round(statistics.median(extra), 1) if extra else None
    summary["other_stage_names"] = [n for n in names if n not in CORE_STAGES]
    summary["startup_s"] = median_of(runs, "other_s")
    return summary


def _cap_and_status(runs: list[dict]) -> str:
    """`` under a 4GB cap``, and the outcome of runs that did not publish."""
    caps = sorted({r.get("memory_limit") for r in runs if r.get("memory_limit")})
    text = f" under a {', '.join(caps)} cap" if caps else ""
    failed = [r.get("status") for r in runs if r.get("status", "published") != "published"]
    if failed:
        text += f", {len(failed)} of {len(runs)} {'/'.join(sorted(set(failed)))}"
    return text


# Issue 16's goals, each read from one run's results (None where that part was not measured).
def goals(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(goal, target, measured, met) for each of issue 16's goals the results can speak to."""

    def median(scale: str, kind: str) -> dict:
        entry = results["scales"].get(scale, {})
        return summarise(entry[kind]["runs"]) if kind in entry else {}

    def published(scale: str, kind: str) -> bool | None:
        runs = results["scales"].get(scale, {}).get(kind, {}).get("runs")
        return all(r.get("status") == "published" for r in runs) if runs else None

    def secs(v: float | None) -> str:
        return f"{v:,.0f} s" if v is not None else "not measured"

    one = results["scales"].get("1", {})
    full, nightly = median("1", "full_refresh"), median("1", "nightly")
    floor = one.get("floor", {}).get("median", {}).get("floor_s")
    peer = one.get("pandas_peer", {}).get("median", {}).get("wall_s")
    sample = summarise(results["sample"]["runs"]) if results.get("sample", {}).get("runs") else {}
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            "national nightly (+1 month), wall",
            "<= 30 s",
            secs(nightly.get("wall_s")),
            nightly["wall_s"] <= 30 if nightly.get("wall_s") else None,
        ),
        (
            "national full refresh, wall",
            "<= 120 s",
            secs(full.get("wall_s")),
            full["wall_s"] <= 120 if full.get("wall_s") else None,
        ),
    ]
    ratio = full["wall_s"] / floor if full.get("wall_s") and floor else None
    rows.append(
        (
            "national full refresh / floor",
            "<= 2.0x",
            f"{ratio:.1f}x" if ratio else "not measured",
            ratio <= 2 if ratio else None,
        )
    )
    speed = peer / full["wall_s"] if peer and full.get("wall_s") else None
    rows.append(
        (
            "pandas peer / national full refresh",
            ">= 10x",
            f"{speed:.2f}x" if speed else "not measured",
            speed >= 10 if speed else None,
        )
    )
    rows.append(
        (
            "sample quick start, wall",
            "< 45 s",
            secs(sample.get("wall_s")),
            sample["wall_s"] < 45 if sample.get("wall_s") else None,
        )
    )
    for kind in ("full_refresh", "nightly"):
        runs = results["scales"].get("5", {}).get(kind, {}).get("runs", [])
        caps = sorted({r.get("memory_limit") for r in runs if r.get("memory_limit")})
        ok = published("5", kind)
        measured = (
            "not measured"
            if ok is None
            else f"{'published' if ok else 'did not publish'}"
            + (f" under {', '.join(caps)}" if caps else ", uncapped")
            + (
                f", peak {summarise(runs)['peak_rss_mb']:,.0f} MB"
                if summarise(runs).get("peak_rss_mb")
                else ""
            )
        )
        rows.append(
            (
                f"5x national {kind.replace('_', ' ')} under a 4GB cap",
                "completes",
                measured,
                (ok and caps == ["4GB"]) if ok is not None else None,
            )
        )
    return rows


def render_goals(results: dict) -> str:
    lines = ["| goal (issue 16) | target | measured | met |", "|---|---|---|---|"]
    for goal, target, measured, met in goals(results):
        lines.append(f"| {goal} | {target} | {measured} | {'-' if met is None else 'yes' if met else 'no'} |")
    return "\n".join(lines)


def render_table(results: dict) -> str:
    """One row per scale and measurement: the pipeline's stages beside DuckDB's floor."""
    lines = [
        "| scale | provider returns (MB) | rows loaded | run | wall | peak memory | ingest / load "
        "| dbt build / models | audit | publish | other stages | start-up | x floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def s(v: float | None) -> str:
        return f"{v:,.0f} s" if v is not None else "-"

    def refresh_row(scale: str, size: str, label: str, runs: list[dict], ratio: str) -> str:
        m = summarise(runs)
        rows = runs[0].get("rows_loaded")
        label += _cap_and_status(runs)
        if m["wall_s"] is None or rows is None:  # a run that did not finish: no stage split
            return f"| {scale} | {size} | | {label}: did not finish | | | | | | | | | |"
        other = f" ({', '.join(m['other_stage_names'])})" if m["other_stage_names"] else ""
        return (
            f"| {scale} | {size} | {rows:,} | {label} (n={m['runs']}) | {s(m['wall_s'])} "
            f"| {m['peak_rss_mb']:,.0f} MB | {s(m.get('ingest'))} | {s(m.get('dbt build'))} "
            f"| {s(m.get('audit'))} | {s(m.get('publish'))} "
            f"| {s(m['other_stages_s'])}{other} | {s(m['startup_s'])} | {ratio} |"
        )

    if results.get("sample", {}).get("runs"):
        lines.append(
            refresh_row("sample", "bundled", "quick start: full refresh", results["sample"]["runs"], "")
        )
    for scale, entry in sorted(results["scales"].items(), key=lambda kv: int(kv[0])):
        land = entry["landing"]
        floor = entry.get("floor", {}).get("median", {})
        size = f"{land['provider_returns']:,} ({land['provider_return_mb']:,.0f})"
        for kind in ("full_refresh", "nightly"):
            if kind not in entry:
                continue
            m = summarise(entry[kind]["runs"])
            label = kind.replace("_", " ") + (f" (+{entry[kind]['new_month']})" if kind == "nightly" else "")
            ratio = (
                f"{m['wall_s'] / floor['floor_s']:.1f}x"
                if floor and m["wall_s"] and kind == "full_refresh"
                else ""
            )
            lines.append(refresh_row(f"{scale}x", size, label, entry[kind]["runs"], ratio))
        peer = entry.get("pandas_peer", {}).get("median", {})
        full = summarise(entry["full_refresh"]["runs"]) if "full_refresh" in entry else {}
        if peer.get("wall_s"):
            ratio = f"{full['wall_s'] / peer['wall_s']:.2f}x" if full.get("wall_s") else ""
            check = peer.get("check") or {}
            agreed = f", {check['agree']:,} of {check['compared']:,} figures agree" if check else ""
            lines.append(
                f"| {scale}x | {size} | | pandas peer: 6 KPIs (n={peer['runs']}{agreed}) "
                f"| {s(peer['wall_s'])} "
                f"| {peer['peak_rss_mb']:,.0f} MB | | | - | - | - | - | full refresh {ratio} of it |"
            )
        if floor:
            capped = _cap_and_status(entry["floor"]["runs"])
            lines.append(
                f"| {scale}x | {size} | | floor: DuckDB alone{capped} (n={floor['runs']}) "
                f"| {s(floor['floor_s'])} "
                f"| {floor['peak_rss_mb']:,.0f} MB | {s(floor['load_s'])} | {s(floor['models_s'])} "
                "| - | - | - | - | 1.0x |"
            )
    return "\n".join(lines)


def load_note(results: dict) -> str:
    """The range of the 1-minute load average before the runs: whether the box was idle."""
    runs = [r for r in results.get("sample", {}).get("runs", [])]
    for entry in results["scales"].values():
        for kind in ("full_refresh", "nightly", "floor", "pandas_peer"):
            runs += entry.get(kind, {}).get("runs", [])
    loads = [r["load_avg_before"] for r in runs if r.get("load_avg_before") is not None]
    if not loads:
        return ""
    cores = results["machine"]["cores"]
    return f"Load average (1 min) before each run: {min(loads):.1f} to {max(loads):.1f} on {cores} cores."


def write_readme_table(results: dict) -> None:
    text = README.read_text() if README.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    m = results["machine"]
    block = (
        f"{start}\n"
        f"Measured {results['measured_at']} on {m['cores']} cores ({m['cpu_model']}), "
        f"{m['memory_gb']} GB memory, {m['os']}; Python {m['python']}, DuckDB {m['duckdb']}, "
        f"dbt-core {m['dbt-core']}, dbt-duckdb {m['dbt-duckdb']}, Prefect {m['prefect']}, "
        f"Great Expectations {m['great-expectations']}. Medians of n runs. {load_note(results)}\n\n"
        f"{render_table(results)}\n\n{render_goals(results)}\n{end}"
    )
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)
