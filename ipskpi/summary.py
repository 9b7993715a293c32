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
from ipskpi.permissions import Modes

LANDING_NOT_USABLE = "landing not usable"
MAX_WARNING_LINES = 12
"""File warnings printed in the summary; the run report lists them all."""


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
    blocked_build: Path | None = None
    modes: Modes | None = None

    @property
    def returns_by_status(self) -> Counter:
        return Counter(r.status for r in self.loads)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.loads)

    @property
    def rows_rejected(self) -> int:
        return sum(r.rows_rejected for r in self.loads)

    def _empty_loads(self) -> str:
        empty = sum(1 for r in self.loads if r.status == "loaded" and r.rows_loaded == 0)
        return f" ({empty} of them with no usable row)" if empty else ""

    def unused_sources(self) -> list[str]:
        """Sources with files tonight none of which gave a usable row (loaded rows, or was unchanged)."""
        files: Counter = Counter()
        used: Counter = Counter()
        for r in self.loads:
            if r.status in ("loaded", "refused", "skipped"):
                files[r.source] += 1
                used[r.source] += r.status == "skipped" or (r.status == "loaded" and r.rows_loaded > 0)
        return sorted(source for source in files if not used[source])

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
        ]
        if self.loads or self.reason != LANDING_NOT_USABLE:
            lines += self._file_lines(by_status)
        for note in self.notes:
            lines.append(f"  Note      {note}")
        lines += self._build_lines()
        return "\n".join(lines)

    def _file_lines(self, by_status: Counter) -> list[str]:
        lines = [
            f"  Files     {by_status.get('loaded', 0)} loaded{self._empty_loads()}, "
            f"{by_status.get('refused', 0)} refused, "
            f"{by_status.get('skipped', 0)} unchanged since an earlier load (skipped), "
            f"{by_status.get('not_recognised', 0)} not recognised, {by_status.get('ignored', 0)} ignored "
            f"({len(self.loads)} in the landing)",
            f"  Rows      {self.rows_loaded:,} loaded, {self.rows_rejected:,} rejected",
        ]
        by_source = Counter(r.source for r in self.loads if r.status == "loaded")
        if by_source:
            lines.insert(
                1,
                "            loaded by source: "
                + ", ".join(f"{k} {v}" for k, v in sorted(by_source.items())),
            )
        for rule, n in self.rejected_by_rule().most_common(8):
            lines.append(f"              {n:>6,} rejected: {rule}")
        for r in self.loads:
            if r.status == "refused":
                lines.append(f"            REFUSED {shown(r.file_path)}: {shown(r.message)}")
        for r in self.loads:
            if r.status == "not_recognised":
                lines.append(f"            NOT RECOGNISED {shown(r.file_path)}: {shown(r.message)}")
        for source in self.unused_sources():
            lines.append(
                f"            WARNING source {source}: no row of any of its files was used tonight "
                "(refused or empty): its indicators stand only on earlier loads still current in the "
                "raw layer, and are missing where there are none"
            )
        warned: dict[str, list[str]] = {}  # the same warning for many files is one line
        for r in self.loads:
            for w in r.warnings:
                warned.setdefault(w, []).append(r.file_path)
        for w, files in list(warned.items())[:MAX_WARNING_LINES]:
            more = f" and {len(files) - 1} more file(s)" if len(files) > 1 else ""
            lines.append(f"            WARNING {shown(files[0])}{more}: {shown(w)}")
        if len(warned) > MAX_WARNING_LINES:
            lines.append(
                f"            ... and {len(warned) - MAX_WARNING_LINES} more file warning(s): "
                "see the run report"
            )
        return lines

    def _build_lines(self) -> list[str]:
        lines: list[str] = []
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
            if self.audit.disclosure_check:
                lines.append(f"            differencing {self.audit.disclosure_check}")
            for o in [*self.audit.errors, *self.audit.warnings][:10]:
                where = f" {o.unexpected_rows[:3]}" if o.unexpected_rows else ""
                lines.append(
                    f"              {o.severity.upper()} {o.suite}: {o.description} "
                    f"({o.unexpected_count or 0} unexpected){where}"
                )
        if self.status == "published":
            lines.append(
                f"  Published {self.kpi_rows:,} scorecard rows: {self.kpis} KPIs for "
                f"{self.organisations} organisations (providers, ICBs, NHS England regions and England)"
            )
        else:
            lines.append("  Published nothing new: yesterday's published data is untouched")
        lines.append("  Outputs")
        public, restricted = self.warehouse / "public", self.warehouse / "restricted"
        if (public / "public.duckdb").exists():
            lines.append(f"    public tree         {public}/ (anyone: copy it whole to a web server)")
            lines.append(f"      database          {public / 'public.duckdb'}")
            lines.append(f"      BI exports        {public / 'exports'}/<table>.parquet and .csv")
            if (public / "docs" / "index.html").exists():
                lines.append(f"      dbt docs          {public / 'docs' / 'index.html'}")
            if self.reports:
                index = next((p for p in self.reports if p.name == "index.html"), self.reports[0])
                live = public / "reports"
                lines.append(f"      commissioner report {live / 'england.html'}")
                lines.append(f"      org reports       {live / index.name} ({len(self.reports)} pages)")
        if self.published_db is not None:
            lines.append(f"    restricted tree     {restricted}/ (exact counts: data-sharing agreement only)")
            lines.append(f"      database          {self.published_db}")
            lines.append(f"      BI exports        {restricted / 'exports'}/<table>.parquet and .csv")
            if (restricted / "docs" / "index.html").exists():
                lines.append(f"      dbt docs          {restricted / 'docs' / 'index.html'}")
        if self.report is not None:
            lines.append(f"    run report          {self.report}")
        if self.blocked_build is not None:
            lines.append(f"    blocked build       {self.blocked_build} (the last 3 blocked runs are kept)")
        if self.audit is not None and self.audit.data_docs:
            lines.append(f"    data docs           {self.audit.data_docs}")
        if self.modes is not None:
            lines.append(f"  Access    {self.modes.describe()}")
        if self.seconds:
            lines.append("  Time      " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return lines


def write_report(summary: RefreshSummary, run_dir: Path) -> Path:
    """Write report.md (for people) and audit.json / loads.json (for machines) in the run folder."""
    run_dir.mkdir(parents=True, exist_ok=True)
    report = run_dir / "report.md"
    summary.report = report
    text = summary.to_text()
    # A fence longer than any run of backticks in the text: a file name cannot end the block.
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
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
        "Every entry of the landing: loaded, refused (the rule), skipped (unchanged since an earlier",
        "load), not_recognised (what would be read) or ignored (hidden, partial or the manifest).",
        "",
        "| file | status | rows loaded | rows rejected | note | warnings |",
        "|---|---|---|---|---|---|",
    ]
    for r in summary.loads:
        parts.append(
            f"| {_cell(r.file_path)} | {r.status} | {r.rows_loaded} | {r.rows_rejected} | "
            f"{_cell(r.message)} | {_cell('; '.join(r.warnings))} |"
        )
    report.write_text("\n".join(parts) + "\n")
    (run_dir / "loads.json").write_text(
        json.dumps([r.__dict__ for r in summary.loads], indent=2, default=str)
    )
    return report


def shown(text: str) -> str:
    """Untrusted text (a file name, a message quoting one) safe to print on one line.

    Control characters (line breaks, terminal escapes, NUL) are shown as ``\\xNN``, so a file
    name can neither forge a line of the summary nor drive the terminal.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", str(text))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cell(text: str) -> str:
    """A file name or message as one Markdown table cell: one line, control characters shown, | escaped."""
    return shown(" ".join(str(text).split())).replace("|", "\\|")
