"""The run summary a person reads at the end of a refresh, and the run report on disk."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ipskpi.audit import AuditResult
from ipskpi.dbt_runner import DbtResult
from ipskpi.incremental import BuildStart
from ipskpi.ingest.provider_returns import LoadResult
from ipskpi.sql import shown_text


@dataclass
class RefreshSummary:
    """Everything one refresh did, and where its outputs are."""

    run_id: str
    status: str  # published | blocked
    landing: Path
    warehouse: Path
    loads: list[LoadResult] = field(default_factory=list)
    dbt: DbtResult | None = None
    audit: AuditResult | None = None
    kpi_rows: int = 0
    organisations: int = 0
    kpis: int = 0
    published_db: Path | None = None
    report: Path | None = None
    reports: list[Path] = field(default_factory=list)
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    build_start: BuildStart | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def returns_by_status(self) -> Counter:
        return Counter(r.status for r in self.loads)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.loads)

    @property
    def rows_rejected(self) -> int:
        return sum(r.rows_rejected for r in self.loads)

    def rejected_by_rule(self) -> Counter:
        counts: Counter = Counter()
        for r in self.loads:
            counts.update(r.rejected_by_rule)
        return counts

    def to_text(self) -> str:
        by_status = self.returns_by_status
        lines = [
            f"IPS KPI refresh {self.run_id}: {self.status.upper()}"
            + (f" ({self.reason})" if self.reason else ""),
            f"  Files     {by_status.get('loaded', 0)} loaded, {by_status.get('refused', 0)} refused, "
            f"{by_status.get('skipped', 0)} unchanged since an earlier load (skipped)",
            f"  Rows      {self.rows_loaded:,} loaded, {self.rows_rejected:,} rejected",
        ]
        by_source = Counter(r.source for r in self.loads if r.status == "loaded")
        if by_source:
            lines.insert(
                2,
                "            loaded by source: "
                + ", ".join(f"{k} {v}" for k, v in sorted(by_source.items())),
            )
        for rule, n in self.rejected_by_rule().most_common(8):
            lines.append(f"              {n:>6,} rejected: {rule}")
        for r in self.loads:
            if r.status == "refused":
                lines.append(
                    f"            REFUSED {shown_text(r.file_path, 300)}: {shown_text(r.message, 1000)}"
                )
        for note in self.notes:
            lines.append(f"  Note      {note}")
        if self.dbt is not None:
            counts = ", ".join(f"{n} {s}" for s, n in sorted(self.dbt.counts.items()))
            lines.append(f"  dbt build {'ok' if self.dbt.ok else 'FAILED'} ({counts})")
            if self.build_start is not None:
                lines.append(f"            {self.build_start.describe()}")
            for f in self.dbt.failures[:10]:
                lines.append(f"              {f['status'].upper()} {f['node']}: {f['message']}")
        if self.audit is not None:
            verdict = "passed" if self.audit.passed else "FAILED - publishing blocked"
            lines.append(
                f"  Audit     {verdict}: {len(self.audit.errors)} error(s), "
                f"{len(self.audit.warnings)} warning(s), {len(self.audit.outcomes)} expectations checked"
            )
            for o in [*self.audit.errors, *self.audit.warnings][:10]:
                where = f" {o.unexpected_rows[:3]}" if o.unexpected_rows else ""
                lines.append(
                    f"              {o.severity.upper()} {o.suite}: {o.description} "
                    f"({o.unexpected_count or 0} unexpected){where}"
                )
        if self.status == "published":
            lines.append(
                f"  Published {self.kpi_rows:,} scorecard rows: {self.kpis} KPIs for "
                f"{self.organisations} organisations (providers + England)"
            )
        else:
            lines.append("  Published nothing new: yesterday's published data is untouched")
        lines.append("  Outputs")
        if self.published_db is not None:
            lines.append(f"    published database  {self.published_db}")
        if self.report is not None:
            lines.append(f"    run report          {self.report}")
        if self.reports:
            index = next((p for p in self.reports if p.name == "index.html"), self.reports[0])
            lines.append(f"    commissioner report {index.parent / 'england.html'}")
            lines.append(f"    provider reports    {index} ({len(self.reports)} pages)")
        if self.status == "published":
            exports = self.warehouse / "exports"
            if exports.exists():
                lines.append(f"    BI exports          {exports}/<table>.parquet and .csv")
            dbt_docs = self.warehouse / "docs" / "index.html"
            if dbt_docs.exists():
                lines.append(f"    dbt docs            {dbt_docs}")
        if self.audit is not None and self.audit.data_docs:
            lines.append(f"    data docs           {self.audit.data_docs}")
        if self.seconds:
            lines.append("  Time      " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def _cell(value: object) -> str:
    """Untrusted text (a file name, a message quoting a cell) as one markdown table cell."""
    return shown_text(value, 1000).replace("|", "\\|")


def write_report(summary: RefreshSummary, run_dir: Path) -> Path:
    """Write report.md (for people) and audit.json / loads.json (for machines) in the run folder."""
    run_dir.mkdir(parents=True, exist_ok=True)
    report = run_dir / "report.md"
    summary.report = report
    text = summary.to_text()
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    parts = [f"# Refresh {summary.run_id}: {summary.status}", "", fence, text, fence, ""]
    if summary.audit is not None:
        parts += ["## Audit", "", "| severity | suite | expectation | column | result | unexpected | rows |"]
        parts += ["|---|---|---|---|---|---|---|"]
        for o in summary.audit.outcomes:
            rows = json.dumps(o.unexpected_rows[:5], default=str).replace("|", "/") if not o.success else ""
            parts.append(
                f"| {o.severity} | {o.suite} | {o.description} | {o.column or ''} | "
                f"{'pass' if o.success else 'FAIL'} | {o.unexpected_count or ''} | {rows} |"
            )
        (run_dir / "audit.json").write_text(json.dumps(summary.audit.to_json(), indent=2, default=str))
        parts.append("")
    if summary.dbt is not None and not summary.dbt.ok:
        parts += ["## dbt build output (last lines)", "", "```", summary.dbt.log_tail, "```", ""]
    parts += [
        "## Files",
        "",
        "| file | status | rows loaded | rows rejected | note |",
        "|---|---|---|---|---|",
    ]
    for r in summary.loads:
        parts.append(
            f"| {_cell(r.file_path)} | {r.status} | {r.rows_loaded} | {r.rows_rejected} "
            f"| {_cell(r.message)} |"
        )
    report.write_text("\n".join(parts) + "\n")
    (run_dir / "loads.json").write_text(
        json.dumps([r.__dict__ for r in summary.loads], indent=2, default=str)
    )
    return report
