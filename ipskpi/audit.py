"""The quality gate: Great Expectations suites run against the newly built marts.

Each suite is a JSON file under ``expectations/`` in Great Expectations' own suite
format, plus a ``meta.query`` saying which frame it validates (a mart, or a
reconciliation query across marts). The frames are read from the build database
with DuckDB and validated as pandas DataFrames (GX's SQL datasource reads nothing
back from DuckDB). An expectation of severity ``critical`` that fails blocks
publishing; ``warning`` publishes and is reported. Results go to the run report,
to Data Docs and to run-history tables.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ipskpi import sql
from ipskpi.config import EXPECTATIONS_DIR, duckdb_settings
from ipskpi.failpoints import failpoint

log = logging.getLogger(__name__)


@dataclass
class ExpectationOutcome:
    """One expectation's result, in words a person can act on."""

    suite: str
    expectation: str
    severity: str
    success: bool
    column: str | None
    description: str
    kwargs: dict[str, Any]
    unexpected_count: int | None = None
    unexpected_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocks_publishing(self) -> bool:
        return not self.success and self.severity == "critical"


@dataclass
class AuditResult:
    """The gate's decision and every expectation behind it."""

    passed: bool
    outcomes: list[ExpectationOutcome]
    data_docs: str | None = None
    skipped_suites: list[str] = field(default_factory=list)
    # Which differencing check ran (ipskpi.disclosure.check_in_proportion) and how much it read.
    disclosure_check: str | None = None

    @property
    def errors(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.blocks_publishing]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "data_docs": self.data_docs,
            "skipped_suites": self.skipped_suites,
            "disclosure_check": self.disclosure_check,
            "outcomes": [asdict(o) for o in self.outcomes],
        }


def _broken_suite(name: str, message: str) -> ExpectationOutcome:
    """A suite that could not run is itself a critical failure: the gate never skips checks."""
    return ExpectationOutcome(
        suite=name,
        expectation="suite_runs",
        severity="critical",
        success=False,
        column=None,
        description=message[:500],
        kwargs={},
    )


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[dict[str, Any]]:
    """Every suite JSON under ``folder``, sorted by name."""
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _disclosure_leaks(con: duckdb.DuckDBPyConnection, found: dict[str, Any]) -> Any:
    """Every public cell the differencing attack pins down (ipskpi.disclosure), one row each.

    The check reads in proportion to what changed since the published release (attached
    as ``published``, when there is one) and keeps its report in ``found["disclosure"]``,
    which ``run_audit`` records in the build database (``disclosure_check``) for the next night.
    """
    from ipskpi.disclosure import check_in_proportion, frame_of

    previous = "published" if _attached(con, "published") else None
    report = check_in_proportion(
        con,
        restricted="marts.fct_kpi_scorecard",
        public="marts.fct_kpi_scorecard_public",
        kpis="marts.dim_kpis",
        organisations="marts.dim_organisations",
        previous=previous,
    )
    found["disclosure"] = report
    return frame_of(report)


def _attached(con: duckdb.DuckDBPyConnection, catalog: str) -> bool:
    found = con.execute("select count(*) from duckdb_databases() where database_name = ?", [catalog])
    return bool(found.fetchone()[0])


# Frames computed in Python rather than by one query, named by a suite's ``meta.frame``.
FRAMES = {"disclosure_leaks": _disclosure_leaks}


# Expectations about the table's own columns: a suite with one of these reads every column.
WHOLE_FRAME_EXPECTATIONS = frozenset(
    {
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_column_to_exist",
    }
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names_in(value: Any) -> set[str]:
    """Every identifier-like word in a kwarg value (a column, a column list, a row condition)."""
    if isinstance(value, str):
        return set(_NAME.findall(value))
    if isinstance(value, list | tuple | set):
        return set().union(*(_names_in(item) for item in value)) if value else set()
    if isinstance(value, dict):
        return _names_in(list(value.values()))
    return set()


def suite_columns(spec: dict[str, Any]) -> set[str] | None:
    """The names a suite's expectations and ``id_columns`` mention; None when it needs every column.

    Reading a mart into pandas costs far more than validating it (national: 11 s for the
    whole scorecard, 3 s for its key columns), so a suite's frame holds only the columns
    its expectations can read: any column whose name appears in an expectation's
    arguments (its column, column list or row condition) or in ``id_columns``.
    """
    if any(e.get("type") in WHOLE_FRAME_EXPECTATIONS for e in spec["expectations"]):
        return None
    names = set(spec.get("meta", {}).get("id_columns", []))
    for expectation in spec["expectations"]:
        names |= _names_in(expectation.get("kwargs", {}))
    return names


def _suite_frame(
    con: duckdb.DuckDBPyConnection, spec: dict[str, Any], found: dict[str, Any] | None = None
) -> Any:
    """The frame a suite validates: its ``meta.query`` (only the columns it reads), or ``meta.frame``
    (a ``FRAMES`` function, which may leave what else it found in ``found``)."""
    meta = spec.get("meta", {})
    if "frame" in meta:
        return FRAMES[meta["frame"]](con, {} if found is None else found)
    query = meta["query"].strip().rstrip(";")
    wanted = suite_columns(spec)
    if wanted is None:
        return con.execute(query).df()
    present = [c[0] for c in con.execute(f"select * from ({query}) as suite_rows limit 0").description]
    # A column an expectation names but the query lacks stays out: GX reports it missing.
    keep = [column for column in present if column in wanted] or present[:1]
    columns = ", ".join(sql.ident(column) for column in keep)
    return con.execute(f"select {columns} from ({query}) as suite_rows").df()


def run_audit(
    build_db: Path,
    published_db: Path | None,
    gx_root: Path,
    suites: list[dict[str, Any]] | None = None,
    raw_db: Path | None = None,
) -> AuditResult:
    """Validate the build database.

    ``published_db`` (if any) is attached as ``published`` for drift checks and
    ``raw_db`` as ``raw`` for landing-data and freshness checks, both read-only. The
    differencing check (suite ``disclosure__differencing``) reads only the parts of the
    scorecard that changed since ``published_db`` and records its facts in the build
    database's ``disclosure_check`` schema (``ipskpi.disclosure.check_in_proportion``).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # slow import: only when auditing
    from great_expectations.core.validation_definition import ValidationDefinition

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    suites = load_suites() if suites is None else suites
    gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_root))
    try:
        context.variables.progress_bars = {"globally": False}
        context.variables.save()
    except Exception:  # pragma: no cover - progress bar settings differ across GX versions
        pass
    datasource = context.data_sources.add_or_update_pandas("ipskpi_build")

    con = duckdb.connect(str(build_db), read_only=True, config=duckdb_settings())
    has_published = published_db is not None and published_db.exists()
    if has_published:
        con.execute(sql.attach("published", published_db, "read_only"))
    if raw_db is not None and raw_db.exists():
        con.execute(sql.attach("raw", raw_db, "read_only"))
    outcomes: list[ExpectationOutcome] = []
    skipped: list[str] = []
    found: dict[str, Any] = {}
    try:
        for spec in suites:
            meta = spec.get("meta", {})
            name = spec["name"]
            if meta.get("requires_published") and not has_published:
                skipped.append(f"{name}: nothing published yet to compare against")
                continue
            try:
                frame = _suite_frame(con, spec, found)
            except (duckdb.Error, KeyError) as exc:
                outcomes.append(_broken_suite(name, f"the suite's query failed: {exc}"))
                continue
            for column in frame.columns:  # DECIMAL arrives as objects; GX compares floats
                if frame[column].dtype == object:
                    first = frame[column].dropna().head(1)  # a DuckDB column has one type
                    if len(first) and isinstance(first.iloc[0], Decimal):
                        frame[column] = frame[column].astype(float)
            try:
                asset = datasource.get_asset(name)
            except LookupError:
                asset = datasource.add_dataframe_asset(name)
            try:
                batch_definition = asset.get_batch_definition("whole_frame")
            except (KeyError, LookupError, ValueError):
                batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
            try:
                suite = context.suites.add_or_update(
                    gx.ExpectationSuite(name=name, expectations=spec["expectations"], meta=meta)
                )
            except Exception as exc:  # a suite that cannot load must block, never be skipped
                outcomes.append(_broken_suite(name, f"the suite could not be loaded: {exc}"))
                continue
            if len(suite.expectations) != len(spec["expectations"]):
                # GX logs and drops an expectation it cannot build (e.g. a misspelt type).
                known = {e.expectation_type for e in suite.expectations}
                dropped = [e.get("type") for e in spec["expectations"] if e.get("type") not in known]
                outcomes.append(_broken_suite(name, f"expectation(s) could not be built: {dropped}"))
                continue
            definition = context.validation_definitions.add_or_update(
                ValidationDefinition(name=f"audit_{name}", data=batch_definition, suite=suite)
            )
            id_columns = [c for c in meta.get("id_columns", []) if c in frame.columns]
            result_format: dict[str, Any] = {"result_format": "COMPLETE", "partial_unexpected_count": 20}
            if id_columns:
                result_format["unexpected_index_column_names"] = id_columns
            validation = definition.run(batch_parameters={"dataframe": frame}, result_format=result_format)
            failpoint("during_audit")
            for item in validation.results:
                config = item.expectation_config
                severity = getattr(config.severity, "value", str(config.severity))
                rows = item.result.get("unexpected_index_list") or [
                    {"value": v} for v in (item.result.get("partial_unexpected_list") or [])
                ]
                if item.exception_info and item.exception_info.get("raised_exception"):
                    rows = [{"exception": item.exception_info.get("exception_message")}]
                outcomes.append(
                    ExpectationOutcome(
                        suite=name,
                        expectation=config.type,
                        severity=severity,
                        success=bool(item.success),
                        column=config.kwargs.get("column"),
                        description=(config.meta or {}).get("description")
                        or config.description
                        or config.type,
                        kwargs={k: _jsonable(v) for k, v in config.kwargs.items() if k != "batch_id"},
                        unexpected_count=item.result.get("unexpected_count"),
                        unexpected_rows=[{k: _jsonable(v) for k, v in row.items()} for row in rows[:20]]
                        if not item.success
                        else [],
                    )
                )
    finally:
        con.close()
    disclosure = _record_disclosure_check(build_db, found.get("disclosure"))
    docs = None
    try:
        sites = context.build_data_docs()
        docs = next(iter(sites.values()), None)
    except Exception as exc:  # Data Docs are a convenience; never let them fail the gate
        log.warning("could not build Data Docs: %s", exc)
    passed = not any(o.blocks_publishing for o in outcomes)
    return AuditResult(
        passed=passed, outcomes=outcomes, data_docs=docs, skipped_suites=skipped, disclosure_check=disclosure
    )


def _record_disclosure_check(build_db: Path, report: Any) -> str | None:
    """Write the differencing check's facts into the build database (published with the
    restricted tree, for the next night's check in proportion); returns what ran.

    Without a report (the suite did not run) any record a build started from the last
    published one carries is dropped: facts of another night's scorecard must never be
    published beside this one's."""
    from ipskpi.disclosure import AUDIT_SCHEMA, write_state

    con = duckdb.connect(str(build_db), config=duckdb_settings())
    try:
        if report is None:
            con.execute(f"drop schema if exists {sql.ident(AUDIT_SCHEMA)} cascade")
            return None
        write_state(con, report)
    finally:
        con.close()
    return report.describe_mode()
