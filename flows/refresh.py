"""The nightly refresh flow: ingest -> dbt build -> audit -> publish -> summary.

The flow reads like the pipeline diagram in the README; each step is a small
task in this module that delegates to ``ipskpi``. A refresh that is blocked
(dbt build failure or a critical audit failure) raises RefreshBlocked after
writing its report, so Prefect records the run as failed and the published
database is left exactly as it was.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import date, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task

from ipskpi import docs_cache, history
from ipskpi.audit import AuditResult, run_audit
from ipskpi.config import WarehouseLayout, duckdb_settings
from ipskpi.dbt_runner import DbtResult, run_dbt
from ipskpi.incremental import BuildStart, keep_build, start_build
from ipskpi.ingest.landing import (
    PROVIDER_RETURNS,
    LandingError,
    check_landing,
    known_provider_codes,
    record_entries,
)
from ipskpi.ingest.nomis import FetchResult, fetch_nm_17_5
from ipskpi.ingest.provider_returns import LoadResult, load_provider_returns
from ipskpi.ingest.public_sources import load_public_sources
from ipskpi.lock import refresh_lock
from ipskpi.permissions import restricted_umask, secure_warehouse
from ipskpi.publish import Publication, publish
from ipskpi.summary import LANDING_NOT_USABLE, RefreshSummary, write_report


class RefreshBlocked(RuntimeError):
    """The refresh ran but did not publish; ``summary`` says why."""

    def __init__(self, summary: RefreshSummary) -> None:
        super().__init__(summary.reason)
        self.summary = summary


def new_run_id() -> str:
    return datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@task(name="fetch-nomis")
def fetch_public_extracts(landing: Path) -> str:
    """Fetch the NOMIS APS extract into the landing folder when enabled; else use the file drop.

    IPSKPI_NOMIS_FETCH=on turns the fetch on (it retries transient failures itself, page
    by page); without network it falls back to the files already in nomis_aps/.
    """
    if os.environ.get("IPSKPI_NOMIS_FETCH", "off").lower() not in ("on", "1", "true", "yes"):
        return "NOMIS fetch off (set IPSKPI_NOMIS_FETCH=on to fetch); the nomis_aps/ file drop was used"
    result: FetchResult = fetch_nm_17_5(landing)
    return result.message


@task(name="ingest-landing")
def ingest_landing(landing: Path, raw_db: Path, run_id: str) -> list[LoadResult]:
    """Load every delivery in the landing folder into the raw layer (idempotent).

    Every entry of the landing gets a ledger row (ipskpi.ingest.landing). Raises LandingError,
    before anything is loaded, for a landing that holds returns at its top level or nothing
    the refresh reads, and after the walk when no provider return was ever loaded.
    """
    root, top_level = check_landing(landing)
    con = duckdb.connect(str(raw_db), config=duckdb_settings())
    try:
        results = record_entries(con, top_level, run_id)
        results += load_provider_returns(
            con, root / PROVIDER_RETURNS, run_id, root, known_provider_codes(), date.today()
        )
        results += load_public_sources(con, root, run_id)
        history.record_loads(con, run_id, results)
        ever = con.execute(
            "select count(*) from ingest.load_ledger where source = ? and status in ('loaded', 'superseded')",
            [PROVIDER_RETURNS],
        ).fetchone()[0]
    finally:
        con.close()
    if not ever:
        seen = [r for r in results if r.source == PROVIDER_RETURNS]
        found = ", ".join(f"{r.file_path} ({r.status.replace('_', ' ')})" for r in seen[:5])
        raise LandingError(
            f"{root / PROVIDER_RETURNS} holds no provider return that could be loaded "
            f"(found: {found or 'nothing'}); a return is a folder <PROVIDER>_<YYYY-MM>/ of CSVs "
            "or a workbook <PROVIDER>_<YYYY-MM>.xlsx"
        )
    return results


@task(name="dbt-build")
def build_marts(layout: WarehouseLayout, run_id: str, start: BuildStart | None = None) -> DbtResult:
    """dbt build (seeds, models, unit and data tests) into this run's build database.

    ``start`` says how that database begins (ipskpi.incremental.start_build): a copy of the
    last published build, which the incremental models extend, or nothing (a full build).
    """
    build_db = layout.build_db(run_id)
    return run_dbt(
        ["build"],
        build_db=build_db,
        raw_db=layout.raw_db,
        target_path=layout.run_dir(run_id) / "dbt_target",
    )


@task(name="dbt-docs")
def generate_dbt_docs(layout: WarehouseLayout, run_id: str) -> tuple[Path, str | None]:
    """dbt docs generate --static (one self-contained HTML file) beside the run's build artefacts.

    Reused instead, with the run id it came from, when the project and the tables and
    columns it describes are those of the docs kept in state/docs (ipskpi.docs_cache).
    The build's run_results.json is kept: docs generate would overwrite it.
    """
    target = layout.run_dir(run_id) / "dbt_target"
    fingerprint = docs_cache.docs_fingerprint(layout, run_id)
    reused_from = docs_cache.restore(layout, fingerprint, target)
    if reused_from is not None:
        return target / "static_index.html", reused_from
    run_results = target / "run_results.json"
    kept = run_results.read_bytes() if run_results.exists() else None
    try:
        result = run_dbt(
            ["docs", "generate", "--static"],
            build_db=layout.build_db(run_id),
            raw_db=layout.raw_db,
            target_path=target,
        )
    finally:
        if kept is not None:
            run_results.write_bytes(kept)
    static = target / "static_index.html"
    if not result.ok or not static.exists():
        raise RuntimeError(f"dbt docs generate failed: {result.log_tail[-500:]}")
    docs_cache.store(layout, fingerprint, target, run_id)
    return static, None


@task(name="audit-marts")
def audit_marts(layout: WarehouseLayout, run_id: str) -> AuditResult:
    """Great Expectations suites over the newly built marts (and against what is published)."""
    return run_audit(layout.build_db(run_id), layout.restricted_db, layout.gx_dir, raw_db=layout.raw_db)


@task(name="publish-marts")
def publish_marts(layout: WarehouseLayout, run_id: str, with_docs: bool) -> Publication:
    """Swap the audited marts in as the public and the restricted trees, together (atomic).

    The commissioner reports and the dbt docs are written into the new trees before the swap.
    """
    target = layout.run_dir(run_id) / "dbt_target" if with_docs else None
    return publish(layout.build_db(run_id), layout.raw_db, layout, run_id, dbt_target=target)


KEEP_BLOCKED_BUILDS = 3


def keep_blocked_build(layout: WarehouseLayout, run_id: str) -> Path | None:
    """Move a blocked run's build database to blocked/<run>.duckdb; keep the last few only."""
    build_db = layout.build_db(run_id)
    if not build_db.exists():
        return None
    layout.blocked_dir.mkdir(parents=True, exist_ok=True)
    kept = layout.blocked_build_db(run_id)
    os.replace(build_db, kept)
    for old in sorted(layout.blocked_dir.glob("*.duckdb"), key=lambda p: (p.stat().st_mtime, p.name))[
        :-KEEP_BLOCKED_BUILDS
    ]:
        old.unlink(missing_ok=True)
        old.with_name(old.name + ".wal").unlink(missing_ok=True)
    return kept


def _scorecard_stats(published: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        row = con.execute(
            "select count(*), count(distinct org_code), count(distinct kpi_code) from marts.fct_kpi_scorecard"
        ).fetchone()
    finally:
        con.close()
    return int(row[0]), int(row[1]), int(row[2])


@flow(name="ipskpi-nightly-refresh")
def nightly_refresh(landing: str, warehouse: str, full_refresh: bool = False) -> RefreshSummary:
    """Refresh the warehouse from a landing folder; publish only what passes the audit.

    The dbt build extends the last published build (incremental models) unless
    ``full_refresh`` is set or that build cannot be trusted (ipskpi.incremental).
    """
    logger = get_run_logger()
    layout = WarehouseLayout(Path(warehouse).resolve())
    run_id = new_run_id()
    summary = RefreshSummary(run_id, "blocked", Path(landing).resolve(), layout.root)
    # Every file is born readable by its owner (and the restricted group) only, whatever
    # the caller's umask; the public tree is opened up when it is staged (ipskpi.permissions).
    with restricted_umask() as modes, refresh_lock(_ensure(layout)):
        secure_warehouse(layout, current=modes)  # also files left by an older layout
        summary.modes = modes
        con = duckdb.connect(str(layout.raw_db))
        history.start_run(con, run_id, datetime.now())
        con.close()

        started = time.perf_counter()
        summary.notes.append(fetch_public_extracts(summary.landing))
        try:
            summary.loads = ingest_landing(summary.landing, layout.raw_db, run_id)
        except LandingError as exc:
            summary.reason = LANDING_NOT_USABLE
            summary.notes.append(f"LANDING {exc}")
            _finish(layout, run_id, summary)
            logger.info("refresh %s finished: blocked, %s", run_id, exc)
            raise RefreshBlocked(summary) from exc
        summary.seconds["ingest"] = time.perf_counter() - started

        started = time.perf_counter()
        for leftover in layout.build_dir.glob("*.duckdb*"):  # builds of runs that were killed
            leftover.unlink(missing_ok=True)
        summary.build_start = start_build(layout, run_id, full_refresh)
        summary.dbt = build_marts(layout, run_id, summary.build_start)
        summary.seconds["dbt build"] = time.perf_counter() - started
        if not summary.dbt.ok:
            summary.reason = "dbt build failed"
        else:
            started = time.perf_counter()
            docs_static: Path | None = None
            try:
                docs_static, reused_from = generate_dbt_docs(layout, run_id)
                if reused_from is not None:
                    summary.notes.append(
                        f"dbt docs reused from run {reused_from}: the project and the tables and "
                        "columns they describe are unchanged"
                    )
            except Exception as exc:  # documentation must never block publishing
                summary.notes.append(f"dbt docs could not be generated: {exc}")
            summary.seconds["dbt docs"] = time.perf_counter() - started
            started = time.perf_counter()
            summary.audit = audit_marts(layout, run_id)
            summary.seconds["audit"] = time.perf_counter() - started
            if not summary.audit.passed:
                summary.reason = "audit failed"
            else:
                summary.kpi_rows, summary.organisations, summary.kpis = _scorecard_stats(
                    layout.build_db(run_id)
                )
                summary.status = "published"
                summary.published_db = layout.restricted_db
                # History first, so the published copy records this run as published.
                _finish(layout, run_id, summary)
                started = time.perf_counter()
                try:
                    publication = publish_marts(layout, run_id, docs_static is not None)
                except BaseException:
                    summary.status, summary.reason = "blocked", "publish failed"
                    _finish(layout, run_id, summary)
                    raise
                summary.reports = publication.reports
                summary.notes += publication.notes
                summary.seconds["publish"] = time.perf_counter() - started
        if summary.status != "published":
            if layout.restricted_db.exists():
                summary.published_db = layout.restricted_db
            summary.blocked_build = keep_blocked_build(layout, run_id)
            _finish(layout, run_id, summary)
        else:
            write_report(summary, layout.run_dir(run_id))
            keep_build(layout, run_id)  # the next night's build starts from this one
        layout.build_db(run_id).unlink(missing_ok=True)
        secure_warehouse(layout, run_id, current=modes)
    logger.info("refresh %s finished: %s %s", run_id, summary.status, summary.reason)
    if summary.status != "published":
        raise RefreshBlocked(summary)
    return summary


def _ensure(layout: WarehouseLayout) -> Path:
    layout.ensure()
    return layout.lock_file


def _finish(layout: WarehouseLayout, run_id: str, summary: RefreshSummary) -> None:
    """Record the run in history and write the report (also on a blocked night)."""
    write_report(summary, layout.run_dir(run_id))
    con = duckdb.connect(str(layout.raw_db))
    try:
        con.execute("delete from ops.audit_results where run_id = ?", [run_id])
        if summary.audit is not None:
            history.record_audit(con, run_id, summary.audit)
        by_status = summary.returns_by_status
        history.finish_run(
            con,
            run_id,
            status=summary.status,
            returns_loaded=by_status.get("loaded", 0),
            returns_refused=by_status.get("refused", 0),
            returns_skipped=by_status.get("skipped", 0),
            rows_loaded=summary.rows_loaded,
            rows_rejected=summary.rows_rejected,
            kpi_rows_published=summary.kpi_rows,
            audit_errors=len(summary.audit.errors) if summary.audit else None,
            audit_warnings=len(summary.audit.warnings) if summary.audit else None,
            message=summary.reason,
        )
    finally:
        con.close()
