"""Read the public marts of a published database, and format what the reports show.

Only the public marts are read: ``fct_kpi_scorecard_public``, the ``dim_`` tables and
``fct_ips_access_triangulation_public`` (when the published database has it).
The restricted scorecard is never opened, so a report can be handed to anyone who
may read the public marts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

from ipskpi.sql import ident

PUBLIC_SCORECARD = "fct_kpi_scorecard_public"
DIMENSIONS = ("dim_kpis", "dim_providers", "dim_organisations", "dim_periods")
# Published beside the scorecard: the return's access count beside MHSDS MHS116 per provider.
TRIANGULATION = "fct_ips_access_triangulation_public"
ENGLAND = "ENG"
# The levels between provider and England that get a page of their own, with how a page
# names each (dim_organisations.org_level).
AREA_LEVELS = {"icb": "Integrated Care Board", "region": "NHS England region"}

Key = tuple[str, str, str, date, str | None, str | None]


class Cell(NamedTuple):
    """One published scorecard cell (public: counts rounded, small counts suppressed).

    A named tuple, not a frozen dataclass: a national scorecard has ~1.8 M cells, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) was most of the
    report's load time."""

    org_code: str
    kpi_code: str
    period_type: str
    period_start: date
    period_end: date
    breakdown_type: str | None
    breakdown_value: str | None
    numerator: float | None
    denominator: float | None
    value: float | None
    target_min: float | None
    target_max: float | None
    target_status: str | None
    is_suppressed: bool
    # What the figure rests on (not counts of people; absent from older published files).
    months_expected: int | None = None
    months_with_return: int | None = None
    providers_expected: int | None = None
    providers_reporting: int | None = None
    is_incomplete: bool = False
    is_provisional: bool = False


@dataclass(frozen=True)
class Kpi:
    """A KPI's catalogue entry (dim_kpis), or a stand-in for a KPI not yet catalogued."""

    kpi_code: str
    kpi_name: str
    section: str
    section_name: str
    unit: str
    numerator_definition: str
    denominator_definition: str
    target_min: float | None
    target_max: float | None
    target_source: str
    higher_is_better: str | None
    catalogued: bool = True
    report_panel: str = ""  # the registry's panel id (dim_kpis.report_panel); empty: scorecard table only
    # The framework version of the current target, and the version before it where its
    # target differed (dim_kpis: target_framework, previous_target_*), e.g. IPS Grow V8 / v4.
    target_framework: str = ""
    previous_target_min: float | None = None
    previous_target_max: float | None = None
    previous_target_framework: str = ""

    @property
    def definition(self) -> str:
        text = self.numerator_definition or ""
        if self.denominator_definition:
            text = f"{text} / {self.denominator_definition}" if text else self.denominator_definition
        return text or "Definition not yet in the KPI catalogue."

    @property
    def has_target(self) -> bool:
        return self.target_min is not None or self.target_max is not None


def _none(value: object) -> object:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _float(value: object) -> float | None:
    value = _none(value)
    return None if value is None else float(value)  # type: ignore[arg-type]


def _date(value: object) -> date:
    return pd.Timestamp(value).date()


CELL_COLUMNS = Cell._fields  # the scorecard columns a Cell is built from
DATE_COLUMNS = ("period_start", "period_end")
NUMBER_COLUMNS = ("numerator", "denominator", "value", "target_min", "target_max")
COUNT_COLUMNS = ("months_expected", "months_with_return", "providers_expected", "providers_reporting")
FLAG_COLUMNS = ("is_suppressed", "is_incomplete", "is_provisional")


def _column(frame: pd.DataFrame, name: str) -> list[object]:
    """A column as Python values: nulls (None, NaN, NaT) as None, dates as dates, numbers as floats."""
    if name not in frame:  # a published file from before the column existed
        return [False if name in FLAG_COLUMNS else None] * len(frame)
    column = frame[name]
    if name in FLAG_COLUMNS:  # a null flag (pd.NA, NaN or None) is false
        return [False if pd.isna(v) else bool(v) for v in column.astype(object).tolist()]
    if name in COUNT_COLUMNS:
        return [None if pd.isna(v) else int(v) for v in column.astype(object).tolist()]
    if name in DATE_COLUMNS:
        return pd.to_datetime(column).dt.date.tolist()
    if name in NUMBER_COLUMNS:
        return [None if v != v else v for v in column.astype("float64").tolist()]  # NaN != NaN
    return column.astype(object).where(column.notna(), None).tolist()


def _schema_of(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The schema holding a table in the published file (main, or a marts schema)."""
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? "
        "order by case table_schema when 'main' then 0 else 1 end",
        [table],
    ).fetchall()
    return rows[0][0] if rows else None


def _locate(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The qualified name of a table in the published file (main, or a marts schema)."""
    schema = _schema_of(con, table)
    return f"{ident(schema)}.{ident(table)}" if schema is not None else None


@dataclass
class ScorecardRows:
    """The public scorecard as read by ``load_public``: one tuple per cell, in
    ``CELL_COLUMNS`` order and already of the Cell's Python types (None for null, dates as
    dates, numbers as floats, flags as bools), with what is read from whole columns."""

    cells: list[tuple]
    as_of_date: date | None = None
    org_levels: list[tuple[str, str]] = field(default_factory=list)  # distinct (org_level, org_code)


def _frame_rows(scorecard: pd.DataFrame) -> ScorecardRows:
    """A scorecard DataFrame as ScorecardRows (whole columns converted at once)."""
    columns = {name: _column(scorecard, name) for name in CELL_COLUMNS}
    as_of = scorecard["as_of_date"].dropna() if "as_of_date" in scorecard else pd.Series([], dtype=object)
    levels = (
        scorecard[["org_level", "org_code"]].dropna().drop_duplicates().itertuples(index=False, name=None)
        if "org_level" in scorecard
        else []
    )
    return ScorecardRows(
        cells=list(zip(*(columns[name] for name in CELL_COLUMNS), strict=True)),
        as_of_date=_date(as_of.max()) if len(as_of) else None,
        org_levels=[(str(level), str(code)) for level, code in levels],
    )


class PublishedData:
    """The public scorecard with fast lookups by organisation, KPI, period and breakdown."""

    def __init__(
        self,
        scorecard: pd.DataFrame | ScorecardRows,
        kpis: pd.DataFrame,
        providers: pd.DataFrame,
        periods: pd.DataFrame,
        organisations: pd.DataFrame | None = None,
        triangulation: pd.DataFrame | None = None,
    ) -> None:
        self.providers = providers
        self.organisations = organisations if organisations is not None else pd.DataFrame()
        # None: the published database has no triangulation table (an older publication).
        self._triangulation: dict[str, list[Triangulation]] | None = (
            None if triangulation is None else _triangulation_by_provider(triangulation)
        )
        self._kpis: dict[str, Kpi] = {}
        for row in kpis.to_dict("records"):
            self._kpis[row["kpi_code"]] = Kpi(
                kpi_code=row["kpi_code"],
                kpi_name=row.get("kpi_name") or row["kpi_code"],
                section=row.get("section") or "",
                section_name=row.get("section_name") or "",
                unit=row.get("unit") or "count",
                numerator_definition=_none(row.get("numerator_definition")) or "",  # type: ignore[arg-type]
                denominator_definition=_none(row.get("denominator_definition")) or "",  # type: ignore[arg-type]
                target_min=_float(row.get("target_min")),
                target_max=_float(row.get("target_max")),
                target_source=_none(row.get("target_source")) or "",  # type: ignore[arg-type]
                higher_is_better=_none(row.get("higher_is_better")),  # type: ignore[arg-type]
                report_panel=_none(row.get("report_panel")) or "",  # type: ignore[arg-type]
                target_framework=_none(row.get("target_framework")) or "",  # type: ignore[arg-type]
                previous_target_min=_float(row.get("previous_target_min")),
                previous_target_max=_float(row.get("previous_target_max")),
                previous_target_framework=_none(row.get("previous_target_framework")) or "",  # type: ignore[arg-type]
            )
        self._cells: dict[Key, Cell] = {}
        self._by_kpi_org: dict[tuple[str, str], list[Cell]] = {}
        self._coverage: dict[tuple[str, str, date], Cell] = {}
        self._categories: dict[tuple[str, str, str, date], set[str]] = {}
        self._period_starts: dict[str, set[date]] = {}
        self._period_ends: dict[tuple[str, date], date] = {}
        self.kpis_with_status: set[str] = set()
        # A national scorecard has ~1.8 M rows, too many to convert value by value: a
        # DataFrame's columns are converted whole, and load_public has DuckDB give the types.
        rows = scorecard if isinstance(scorecard, ScorecardRows) else _frame_rows(scorecard)
        for values in rows.cells:
            cell = Cell(*values)
            key = (
                cell.org_code,
                cell.kpi_code,
                cell.period_type,
                cell.period_start,
                cell.breakdown_type,
                cell.breakdown_value,
            )
            self._cells[key] = cell
            self._by_kpi_org.setdefault((cell.kpi_code, cell.org_code), []).append(cell)
            if cell.breakdown_type is None:
                self._coverage.setdefault((cell.org_code, cell.period_type, cell.period_start), cell)
            self._period_starts.setdefault(cell.period_type, set()).add(cell.period_start)
            self._period_ends.setdefault((cell.period_type, cell.period_start), cell.period_end)
            if cell.breakdown_type is not None and cell.breakdown_value is not None:
                self._categories.setdefault(
                    (cell.kpi_code, cell.breakdown_type, cell.period_type, cell.period_start), set()
                ).add(cell.breakdown_value)
            if cell.target_status in ("met", "not_met"):
                self.kpis_with_status.add(cell.kpi_code)
        for cells in self._by_kpi_org.values():
            cells.sort(key=lambda c: (c.period_type, c.period_start))
        self.kpi_codes_present = {k for k, _ in self._by_kpi_org}
        self._orgs = {o for _, o in self._by_kpi_org}
        self.as_of_date: date | None = rows.as_of_date
        self._provider_codes = sorted({code for level, code in rows.org_levels if level == "provider"})
        self._area_codes = {
            level: sorted({code for lvl, code in rows.org_levels if lvl == level}) for level in AREA_LEVELS
        }
        self._period_complete: dict[tuple[str, date], bool] = {}
        if not periods.empty and "is_complete" in periods:
            starts = _column(periods, "period_start")
            for period_type, start, complete in zip(
                periods["period_type"], starts, periods["is_complete"], strict=True
            ):
                self._period_complete.setdefault((period_type, start), bool(complete))

    # --- catalogue -------------------------------------------------------------------
    def kpi(self, kpi_code: str) -> Kpi:
        """The catalogue entry (dim_kpis, the KPI registry: names, units and sections are
        read from it, never kept here); a code missing from it (an older published file)
        gets a readable stand-in."""
        if kpi_code in self._kpis:
            return self._kpis[kpi_code]
        name = kpi_code.replace("_", " ").capitalize()
        return Kpi(kpi_code, name, "", "", "count", "", "", None, None, "", None, catalogued=False)

    @property
    def catalogue(self) -> list[Kpi]:
        return list(self._kpis.values())

    def panel_kpis(self, panel_id: str, first: Sequence[str] = ()) -> list[str]:
        """The KPIs a report panel shows: ``first`` (those the panel lays out itself, in its
        order), then every other KPI the registry places in the panel (dim_kpis.report_panel)
        by code, so a KPI the registry adds to the panel is shown without the panel changing."""
        placed = sorted(k.kpi_code for k in self._kpis.values() if k.report_panel == panel_id)
        return [*first, *(c for c in placed if c not in first)]

    def has_kpi(self, kpi_code: str, org_code: str | None = None) -> bool:
        """Whether the scorecard has any row for the KPI (for one organisation, if given)."""
        if org_code is None:
            return kpi_code in self.kpi_codes_present
        return (kpi_code, org_code) in self._by_kpi_org

    # --- cells -----------------------------------------------------------------------
    def cell(
        self,
        org_code: str,
        kpi_code: str,
        period_type: str,
        period_start: date,
        breakdown_type: str | None = None,
        breakdown_value: str | None = None,
    ) -> Cell | None:
        return self._cells.get(
            (org_code, kpi_code, period_type, period_start, breakdown_type, breakdown_value)
        )

    def cells(
        self,
        org_code: str,
        kpi_code: str,
        period_type: str | None = None,
        breakdown_type: str | None = None,
        any_breakdown: bool = False,
    ) -> list[Cell]:
        """Cells of one organisation and KPI in period order (headline rows unless told)."""
        return [
            c
            for c in self._by_kpi_org.get((kpi_code, org_code), [])
            if (period_type is None or c.period_type == period_type)
            and (any_breakdown or c.breakdown_type == breakdown_type)
        ]

    def breakdown_values(
        self, kpi_code: str, breakdown_type: str, period_type: str, period_start: date
    ) -> list[str]:
        """Every category published for a breakdown in a period, for any organisation."""
        return sorted(self._categories.get((kpi_code, breakdown_type, period_type, period_start), set()))

    def period_starts(self, period_type: str) -> list[date]:
        """Period starts of a type that the scorecard has rows for, in order."""
        return sorted(self._period_starts.get(period_type, set()))

    def period_complete(self, period_type: str, period_start: date) -> bool:
        return self._period_complete.get((period_type, period_start), True)

    def period_end(self, period_type: str, period_start: date) -> date | None:
        return self._period_ends.get((period_type, period_start))

    def coverage(self, org_code: str, period_type: str, period_start: date) -> Cell | None:
        """A headline cell of the organisation and period: what its figures rest on.

        Every row of an organisation and period carries the same coverage columns, so any
        headline cell answers; None when the organisation has no row for the period.
        """
        return self._coverage.get((org_code, period_type, period_start))

    # --- organisations -----------------------------------------------------------------
    def provider_codes(self) -> list[str]:
        """Providers with rows in the public scorecard."""
        return list(self._provider_codes)

    def has_england(self) -> bool:
        return ENGLAND in self._orgs

    def area_codes(self, level: str) -> list[str]:
        """ICBs (level icb) or NHS England regions (level region) with rows in the public scorecard."""
        return list(self._area_codes.get(level, ()))

    def _organisation_row(self, code: str) -> dict | None:
        if self.organisations.empty or "org_code" not in self.organisations:
            return None
        rows = self.organisations[self.organisations["org_code"] == code]
        return rows.iloc[0].to_dict() if len(rows) else None

    def organisation(self, code: str) -> dict[str, str]:
        """An ICB's or region's name, what it is and (for an ICB) its region, from dim_organisations."""
        row = self._organisation_row(code) or {}
        level = str(_none(row.get("org_level")) or "")
        parent_code = str(_none(row.get("parent_org_code")) or "")
        parent = self._organisation_row(parent_code) if level == "icb" else None
        return {
            "code": code,
            "name": str(_none(row.get("org_name")) or code),
            "type": AREA_LEVELS.get(level, ""),
            "region": str(_none(parent.get("org_name")) or "") if parent else "",
        }

    def area_providers(self, code: str) -> list[str]:
        """The published providers whose records an ICB or region sums (dim_providers)."""
        if self.providers.empty:
            return []
        column = {"icb": "icb_code", "region": "nhs_region_code"}.get(
            str(_none((self._organisation_row(code) or {}).get("org_level")) or "")
        )
        if column is None or column not in self.providers:
            return []
        codes = {str(c) for c in self.providers.loc[self.providers[column] == code, "provider_code"]}
        return [c for c in self._provider_codes if c in codes]

    @property
    def has_triangulation(self) -> bool:
        return self._triangulation is not None

    def triangulation(self, provider_code: str) -> list[Triangulation]:
        """The provider's published triangulation rows, oldest month first."""
        return list((self._triangulation or {}).get(provider_code, ()))

    def provider(self, code: str) -> dict[str, str]:
        if not self.providers.empty and "provider_code" in self.providers:
            rows = self.providers[self.providers["provider_code"] == code]
            if len(rows):
                row = rows.iloc[0]
                return {
                    "code": code,
                    "name": str(_none(row.get("provider_name")) or code),
                    "type": str(_none(row.get("provider_type")) or ""),
                    "region": str(_none(row.get("region_name")) or ""),
                }
        return {"code": code, "name": code, "type": "", "region": ""}


def _read_scorecard(con: duckdb.DuckDBPyConnection, schema: str) -> ScorecardRows:
    """The public scorecard's cells, typed by DuckDB (no DataFrame: that and the per-value
    conversion were most of the load time at national scale). A column an older published
    file lacks reads as null (a flag as false), as ``_column`` does for a DataFrame."""
    table = f"{ident(schema)}.{ident(PUBLIC_SCORECARD)}"
    present = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, PUBLIC_SCORECARD],
        ).fetchall()
    }

    def expression(column: str) -> str:
        if column not in present:
            return "false" if column in FLAG_COLUMNS else "null"
        quoted = ident(column)
        if column in FLAG_COLUMNS:
            return f"coalesce(cast({quoted} as boolean), false)"
        if column in COUNT_COLUMNS:
            return f"cast({quoted} as bigint)"
        if column in DATE_COLUMNS:
            return f"cast({quoted} as date)"
        if column in NUMBER_COLUMNS:
            return f"case when isnan(cast({quoted} as double)) then null else cast({quoted} as double) end"
        return quoted

    cells = con.execute(f"select {', '.join(expression(c) for c in CELL_COLUMNS)} from {table}").fetchall()
    as_of = (
        con.execute(f"select cast(max(as_of_date) as date) from {table}").fetchone()[0]
        if "as_of_date" in present
        else None
    )
    org_levels = (
        con.execute(
            f"select distinct cast(org_level as varchar), cast(org_code as varchar) from {table} "
            "where org_level is not null and org_code is not null"
        ).fetchall()
        if "org_level" in present
        else []
    )
    return ScorecardRows(cells=cells, as_of_date=as_of, org_levels=org_levels)


@dataclass(frozen=True)
class Triangulation:
    """One month of fct_ips_access_triangulation_public: the return's count of people
    accessing IPS in the 12 months to the month end (published: hidden from 0 to 4,
    rounded to 5) beside MHSDS MHS116 as NHS Digital published it (None: no figure)."""

    provider_code: str
    period_start: date
    period_end: date
    return_access_12m: float | None
    is_return_suppressed: bool
    mhsds_access_12m: float | None
    mhsds_status: str | None
    has_mhsds_row: bool
    access_difference: float | None


def _triangulation_by_provider(frame: pd.DataFrame) -> dict[str, list[Triangulation]]:
    out: dict[str, list[Triangulation]] = {}
    if frame.empty:
        return out
    names = [f.name for f in fields(Triangulation)]
    columns = {name: _column(frame, name) for name in names}
    for values in zip(*(columns[name] for name in names), strict=True):
        record = dict(zip(names, values, strict=True))
        row = Triangulation(
            provider_code=str(record["provider_code"]),
            period_start=_date(record["period_start"]),
            period_end=_date(record["period_end"]),
            return_access_12m=_float(record["return_access_12m"]),
            is_return_suppressed=bool(record["is_return_suppressed"]),
            mhsds_access_12m=_float(record["mhsds_access_12m"]),
            mhsds_status=None if _none(record["mhsds_status"]) is None else str(record["mhsds_status"]),
            has_mhsds_row=bool(record["has_mhsds_row"]),
            access_difference=_float(record["access_difference"]),
        )
        out.setdefault(row.provider_code, []).append(row)
    for rows in out.values():
        rows.sort(key=lambda r: r.period_start)
    return out


def load_public(published_db: Path) -> PublishedData:
    """Read the public scorecard and the dimensions from a published database (read-only)."""
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        scorecard_schema = _schema_of(con, PUBLIC_SCORECARD)
        if scorecard_schema is None:
            raise FileNotFoundError(f"{published_db} has no {PUBLIC_SCORECARD} table")
        scorecard = _read_scorecard(con, scorecard_schema)
        frames: dict[str, pd.DataFrame] = {}
        for table in DIMENSIONS:
            qualified = _locate(con, table)
            frames[table] = con.execute(f"select * from {qualified}").df() if qualified else pd.DataFrame()
        triangulation_table = _locate(con, TRIANGULATION)
        triangulation = (
            con.execute(f"select * from {triangulation_table}").df() if triangulation_table else None
        )
    finally:
        con.close()
    return PublishedData(
        scorecard,
        frames["dim_kpis"],
        frames["dim_providers"],
        frames["dim_periods"],
        frames["dim_organisations"],
        triangulation,
    )
