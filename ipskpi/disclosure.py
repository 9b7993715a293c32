"""The differencing attack on the public scorecard, as an auditor runs it.

The public scorecard (``fct_kpi_scorecard_public``) suppresses counts from 1 to 4 and
rounds every other count to the nearest 5. That only protects a count if no other
published number gives it back. This module plays the attacker who reads the whole
public scorecard and knows its rules, and reports every cell it can pin down:

* a **suppressed cell recovered**: a hidden count from 1 to 4 for which exactly one
  value in 1-4 is left possible;
* an **exact count given back**: a rounded (or hidden secondary) non-zero count for
  which exactly one value is left possible.

What the attacker knows about each count cell (a numerator or denominator the KPI
registry, ``dim_kpis``, flags as a count: ``is_numerator_a_count``,
``is_denominator_a_count``, the flags ``fct_kpi_scorecard_public`` applies; a public
row the restricted scorecard has no row for is a zero-filled breakdown category, whose
counts are 0):

* a published 0 is 0; a published count ``p`` (a multiple of 5) is in ``p-2 .. p+2``
  and not in 0-4 (so 5 means 5-7); a published count that is not a multiple of 5 is
  exact, and so is every count of a KPI whose counts are all multiples of 5 (a public
  source's estimates);
* a hidden count is in 0-4 (1-4 when the scorecard shows zeros anywhere) when its own
  value is in that range (the strongest attacker: one who knows which hidden cells are
  primary suppressions), else only ``>= 0`` (a secondary suppression).

and the relations it combines, each used only where it holds exactly in the
restricted scorecard for every group of that KPI (so the auditor never credits the
attacker with a relation that is false):

* **organisations**: a parent's count is the sum of its children's (England = the sum
  of its providers; any parent/children hierarchy, e.g. provider -> ICB -> region ->
  England, through ``org_parents``);
* **periods**: a financial year is the sum of its quarters, a quarter of its months;
* **breakdowns**: the headline is the sum of its breakdown categories (numerator to
  numerator, denominator to denominator, or the headline's denominator to the
  categories' numerators);
* **derived values**: a published ``value`` of a KPI whose value is not itself a count
  (``is_value_a_count`` false) that cannot be recomputed from the row's
  published numerator and denominator is taken to be ``numerator / denominator`` of
  the exact parts, known to its published precision (an exact mean beside its exact
  sum gives back its count; a per-WTE figure beside the WTE gives back its caseload);
* **medians** of whole days: a median ending in .5 says the count is even.

Intervals are tightened through every relation until nothing changes (constraint
propagation). This finds every leak a chain of these relations gives; it is not a
full integer-programming audit, so it is a floor on what an attacker can do, not a
proof of safety against every combination.

**In proportion to what changed.** A *part* is (KPI, financial year of the period's
start): no relation above crosses one (organisations and breakdowns stay in a period; a
year is the sum of its quarters, a quarter of its months), nor does a suppression group.
What the check of one part reads from the others is small, and each part's share of it
is its ``PartFacts``: does it publish a 0 (the hidden range, scorecard-wide), has it a
count that is not a multiple of 5 (a KPI with none has its rounded counts read as
exact), which relation families fail in it (a family is credited only where it holds in
every part of its KPI: judged over all the KPI's years, as the full check judges it, never
year by year, which would credit an attacker with relations the suppression rules do not
protect against). ``_Globals.of(facts)`` derives those inputs from the facts, so the
recorded facts of a part stand in for its rows. ``check_in_proportion`` reads only (a) the
parts whose restricted or public scorecard rows (or whose KPI's registry flags) differ
from the previous release, (b) the parts the last check found a leak in and (c) every part
of a KPI whose KPI-wide inputs differ, or every part when the scorecard-wide one does,
once the new facts of (a) and (b) replace their recorded ones; every other part's verdict
is the one recorded, no leak. It reads the whole scorecard when there is no previous
release with recorded facts, or when this module (``checker_fingerprint``), the hidden
range, the rounding base or the organisation hierarchy used changed. The verdict is the
full check's (``tests/unit/test_disclosure_proportional.py`` compares them). The audit
records every part's facts, the fingerprint and the hierarchy in the build database's
``disclosure_check`` schema (``write_state``), published with the restricted tree only:
the facts derive from true values.

``find_leaks(con)`` runs it on a DuckDB connection holding ``fct_kpi_scorecard``,
``fct_kpi_scorecard_public`` and ``dim_kpis`` (and ``dim_organisations``, whose parents
are the organisation hierarchy: provider -> ICB -> region -> England); ``leak_frame(con)``
is the frame of leaks the audit's Great Expectations suite
``expectations/disclosure__differencing.json`` validates (the audit builds it from
``check_in_proportion`` against the published restricted database).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ipskpi.sql import ident

INF = math.inf

# Which columns count people or events is the KPI registry's (dim_kpis:
# is_numerator_a_count, is_denominator_a_count, is_value_a_count), as for
# fct_kpi_scorecard_public; a KPI missing from it counts as neither.
COUNT_FLAGS = {"numerator": "is_numerator_a_count", "denominator": "is_denominator_a_count"}
# Counts the public scorecard hides (0 included: a published 0 would tell an attacker
# that every hidden count is at least 1). A scorecard that publishes zeros is read with
# 1-4 as the hidden range, as an attacker would.
SUPPRESSED_RANGE = (0, 4)
ROUNDING_BASE = 5

# Period nesting: a parent period is the sum of its children of the next finer type.
PERIOD_CHILDREN = {"financial_year": "quarter", "quarter": "month"}

ROW_KEY = ("org_code", "period_type", "period_start", "kpi_code", "breakdown_type", "breakdown_value")

Key = tuple[Any, ...]  # ROW_KEY values
Cell = tuple[Key, str]  # (row key, column)


@dataclass
class Leak:
    """One public cell an attacker can pin down."""

    key: Key
    column: str
    kind: str  # "suppressed_recovered" or "exact_count"
    true_value: int
    published: float | None
    low: float
    high: float

    def as_dict(self) -> dict[str, Any]:
        row = dict(zip(ROW_KEY, self.key, strict=True))
        row.update(
            column=self.column,
            kind=self.kind,
            true_value=self.true_value,
            published=self.published,
            possible_low=self.low,
            possible_high=self.high,
        )
        return row


@dataclass
class DisclosureReport:
    """What the attack found over one public scorecard."""

    cells: int
    suppressed_cells: int
    rounded_cells: int
    relations: dict[str, int]
    leaks: list[Leak] = field(default_factory=list)
    contradictions: list[Cell] = field(default_factory=list)
    # Each part read, with its share of the scorecard-wide and KPI-wide inputs and its leaks.
    part_facts: dict[Part, PartFacts] = field(default_factory=dict)
    parts_read: int = 0
    parts_total: int = 0
    mode: str = "full"  # "full" or "proportional" (check_in_proportion)
    mode_reason: str = ""
    org_parents: dict[str, str] = field(default_factory=dict)

    @property
    def suppressed_recovered(self) -> list[Leak]:
        return [leak for leak in self.leaks if leak.kind == "suppressed_recovered"]

    @property
    def exact_counts(self) -> list[Leak]:
        return [leak for leak in self.leaks if leak.kind == "exact_count"]

    def describe_mode(self) -> str:
        """Which check ran and how much it read, for the run summary."""
        read = f"{self.parts_read} of {self.parts_total} parts (KPI x financial year) read"
        return f"{self.mode} check: {read}" + (f"; {self.mode_reason}" if self.mode_reason else "")

    def summary(self) -> str:
        return (
            f"{len(self.suppressed_recovered)} suppressed cell(s) recoverable, "
            f"{len(self.exact_counts)} exact count(s) given back "
            f"(of {self.suppressed_cells} suppressed and {self.rounded_cells} rounded count cells; "
            f"relations used: {', '.join(f'{k} {v}' for k, v in sorted(self.relations.items())) or 'none'})"
        )


Part = tuple[str, int]  # (kpi_code, financial year of the period's start)


def financial_year(period_start: Any) -> int:
    """The financial year (April to March, named by the year it starts) a period starts in."""
    if isinstance(period_start, str):
        period_start = dt.date.fromisoformat(period_start[:10])
    return period_start.year if period_start.month >= 4 else period_start.year - 1


def part_of(key: Key) -> Part:
    """The part a row key belongs to: its KPI and the financial year its period starts in."""
    return (key[3], financial_year(key[2]))


def _family_name(family: tuple[Any, ...]) -> str:
    return json.dumps(list(family), default=str)


def _family_kpi(family: tuple[Any, ...]) -> str:
    """The KPI of a relation family (periods: ("periods", period_type, kpi, ...))."""
    return family[2] if family[0] == "periods" else family[1]


@dataclass(frozen=True)
class PartFacts:
    """One part's share of the inputs the check takes over more than one part.

    ``shows_zero``: a row of the part publishes a count of 0 (anywhere in the scorecard,
    and hidden counts are read as 1-4); ``has_unrounded_count``: a count of the part is
    not a multiple of 5 (else, over every part of its KPI, its rounded counts are read as
    exact); ``failing_families``: the relation families (``_family_name``) a member of
    the part breaks (a family is credited only where it holds in every part of its KPI);
    ``leaks``: the leaks the check found in the part.
    """

    shows_zero: bool
    has_unrounded_count: bool
    failing_families: frozenset[str]
    leaks: int = 0


@dataclass(frozen=True)
class _Globals:
    """The scorecard-wide and KPI-wide inputs of the attack, from the parts' facts."""

    shows_zero: bool
    multiples_of_5_kpis: frozenset[str]
    failing: Mapping[str, frozenset[str]]  # KPI -> its failing families

    @classmethod
    def of(cls, facts: Mapping[Part, PartFacts]) -> _Globals:
        kpis = {kpi for kpi, _ in facts}
        unrounded = {kpi for (kpi, _), f in facts.items() if f.has_unrounded_count}
        failing: dict[str, set[str]] = defaultdict(set)
        for (kpi, _), f in facts.items():
            failing[kpi] |= f.failing_families
        return cls(
            shows_zero=any(f.shows_zero for f in facts.values()),
            multiples_of_5_kpis=frozenset(kpis - unrounded),
            failing={kpi: frozenset(names) for kpi, names in failing.items()},
        )

    def fails(self, family: tuple[Any, ...]) -> bool:
        return _family_name(family) in self.failing.get(_family_kpi(family), frozenset())

    def of_kpi(self, kpi: str) -> tuple[bool, frozenset[str]]:
        """What the check of one KPI's parts reads from the other parts (besides shows_zero)."""
        return kpi in self.multiples_of_5_kpis, self.failing.get(kpi, frozenset())


def _part_facts(
    by_key: Mapping[Key, Mapping[str, Any]],
    truth: Mapping[Cell, float],
    candidates: Mapping[tuple[Any, ...], list[tuple[Cell, list[Cell]]]],
    ratio_rows: Mapping[str, list[tuple[Key, Mapping[str, Any], float]]],
) -> dict[Part, PartFacts]:
    """Each part's facts (``PartFacts``) from its rows."""
    zero: set[Part] = set()
    unrounded: set[Part] = set()
    failing: dict[Part, set[str]] = defaultdict(set)
    parts = {part_of(key) for key in by_key}
    for key, row in by_key.items():
        if _shows_zero(row):
            zero.add(part_of(key))
    for (key, _), true in truth.items():
        if true % ROUNDING_BASE:
            unrounded.add(part_of(key))
    for family, members in candidates.items():
        for parent, children in members:
            if parent not in truth:
                continue
            known = [c for c in children if c in truth]
            if (
                len(known) != len(children)
                or not known
                or abs(truth[parent] - sum(truth[c] for c in known)) > 1e-6
            ):
                failing[part_of(parent[0])].add(_family_name(family))
    for kpi, rows_of_kpi in ratio_rows.items():
        for key, row, value_f in rows_of_kpi:
            if not _ratio_holds(row, value_f):
                failing[part_of(key)].add(_family_name(("derived values", kpi)))
    return {
        part: PartFacts(part in zero, part in unrounded, frozenset(failing.get(part, ()))) for part in parts
    }


def _num(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if not isinstance(value, Decimal) else float(value)


def _is_integral(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and abs(value - round(value)) < 1e-9


def _half_ulp(value: Any) -> float:
    """Half a unit in the last published decimal place (trailing zeros do not count)."""
    text = format(Decimal(str(value)).normalize(), "f")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0 ** (-decimals)


def _published_domain(
    published: float | None, true: float, suppressed_range: tuple[int, int]
) -> tuple[float, float, str]:
    """The interval an attacker knows for a count cell, and whether it is hidden or rounded."""
    low_s, high_s = suppressed_range
    if published is None:
        if low_s <= true <= high_s:
            return float(low_s), float(high_s), "suppressed"
        return 0.0, INF, "hidden"
    if published == 0:
        return 0.0, 0.0, "zero"
    if _is_integral(published) and round(published) % ROUNDING_BASE == 0:
        half = ROUNDING_BASE // 2
        return max(published - half, high_s + 1.0), published + half, "rounded"
    return published, published, "exact"


class _Domains:
    """Integer intervals, with an optional parity, tightened by relations."""

    def __init__(self) -> None:
        self.low: dict[Cell, float] = {}
        self.high: dict[Cell, float] = {}
        self.parity: dict[Cell, int] = {}
        self.empty: set[Cell] = set()

    def tighten(self, cell: Cell, low: float, high: float) -> bool:
        if cell in self.empty:
            return False
        low = math.ceil(low - 1e-9) if math.isfinite(low) else low
        high = math.floor(high + 1e-9) if math.isfinite(high) else high
        parity = self.parity.get(cell)
        if parity is not None:
            if math.isfinite(low) and low % 2 != parity:
                low += 1
            if math.isfinite(high) and high % 2 != parity:
                high -= 1
        new_low = max(self.low[cell], low)
        new_high = min(self.high[cell], high)
        if new_low > new_high:
            self.empty.add(cell)
            return False
        changed = new_low != self.low[cell] or new_high != self.high[cell]
        self.low[cell], self.high[cell] = new_low, new_high
        return changed


def _sum_relation(domains: _Domains, parent: Cell, children: list[Cell]) -> list[Cell]:
    """parent = sum(children): tighten every member; return the cells that changed."""
    lows = [domains.low[c] for c in children]
    highs = [domains.high[c] for c in children]
    sum_low, sum_high = sum(lows), sum(highs)
    changed = []
    if domains.tighten(parent, sum_low, sum_high):
        changed.append(parent)
    p_low, p_high = domains.low[parent], domains.high[parent]
    for child, low, high in zip(children, lows, highs, strict=True):
        others_low = sum_low - low
        others_high = sum_high - high if math.isfinite(high) else _sum_without(highs, high)
        bound_low = p_low - others_high if math.isfinite(others_high) else -INF
        bound_high = p_high - others_low
        if domains.tighten(child, bound_low, bound_high):
            changed.append(child)
    return changed


def _sum_without(values: list[float], one: float) -> float:
    rest = list(values)
    rest.remove(one)
    return sum(rest)


def _ratio_relation(
    domains: _Domains,
    numerator: Cell | float,
    denominator: Cell | float,
    value_low: float,
    value_high: float,
) -> list[Cell]:
    """numerator / denominator in [value_low, value_high]; either side a cell or a constant."""

    def bounds(side: Cell | float) -> tuple[float, float]:
        if isinstance(side, tuple):
            return domains.low[side], domains.high[side]
        return side, side

    n_low, n_high = bounds(numerator)
    d_low, d_high = bounds(denominator)
    changed = []
    if isinstance(numerator, tuple) and d_low >= 0:
        high = value_high * d_high if math.isfinite(d_high) else INF
        if domains.tighten(numerator, value_low * d_low, high):
            changed.append(numerator)
    if isinstance(denominator, tuple) and n_low >= 0:
        low = n_low / value_high if value_high > 0 else 0.0
        high = n_high / value_low if value_low > 0 else INF
        if domains.tighten(denominator, low, high):
            changed.append(denominator)
    return changed


def default_org_parents(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """provider -> England, the hierarchy the scorecard has when it has no other levels.

    A scorecard with other levels (ICB, region) must pass its own ``org_parents`` (each
    organisation to its parent, e.g. from dim_providers): guessing would let an
    unchecked level through, so this refuses instead.
    """
    by_level: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_level[row["org_level"]].add(row["org_code"])
    others = set(by_level) - {"provider", "england"}
    if others:
        raise ValueError(
            f"the scorecard has organisation levels {sorted(others)}: pass org_parents "
            "(each organisation's parent) so the differencing check covers them"
        )
    england = sorted(by_level.get("england", ()))
    if len(england) != 1:
        return {}
    return {org: england[0] for org in by_level.get("provider", ())}


_QUERY = """
select
    {keys},
    public.org_level,
    public.period_end,
    kpis.unit,
    coalesce(kpis.is_numerator_a_count, false) as is_numerator_a_count,
    coalesce(kpis.is_denominator_a_count, false) as is_denominator_a_count,
    coalesce(kpis.is_value_a_count, false) as is_value_a_count,
    kpis.public_value as value_rule,
    -- A public row the restricted scorecard has no row for is a zero-filled breakdown
    -- category: its counts are 0.
    case
        when restricted.kpi_code is null and kpis.is_numerator_a_count then 0
        else restricted.numerator
    end as true_numerator,
    case
        when restricted.kpi_code is null and kpis.is_denominator_a_count then 0
        else restricted.denominator
    end as true_denominator,
    case
        when restricted.kpi_code is null and kpis.is_value_a_count then 0
        else restricted.value
    end as true_value,
    public.numerator as public_numerator,
    public.denominator as public_denominator,
    public.value as public_value,
    public.is_suppressed
from {public} as public
left join {restricted} as restricted
    on {join}
left join {kpis} as kpis
    on public.kpi_code = kpis.kpi_code
"""


def _fy_sql(alias: str) -> str:
    """The financial year (``financial_year``) of ``alias``.period_start, in SQL."""
    start = f"{alias}.period_start"
    return f"(case when month({start}) >= 4 then year({start}) else year({start}) - 1 end)"


def _read(
    con: duckdb.DuckDBPyConnection,
    restricted: str,
    public: str,
    kpis: str,
    parts: Iterable[Part] | None = None,
) -> list[dict[str, Any]]:
    """The joined rows of the whole scorecard, or of ``parts`` only (a VALUES list of bound parameters)."""
    join = " and ".join(f"restricted.{c} is not distinct from public.{c}" for c in ROW_KEY)
    sql = _QUERY.format(
        keys=", ".join(f"public.{c}" for c in ROW_KEY),
        restricted=restricted,
        public=public,
        kpis=kpis,
        join=join,
    )
    params: list[Any] = []
    if parts is not None:
        wanted = sorted(parts)
        if not wanted:
            return []
        values = ", ".join("(cast(? as varchar), cast(? as integer))" for _ in wanted)
        params = [value for part in wanted for value in part]
        sql = (
            f"with wanted_parts (kpi_code, financial_year) as (values {values})\n{sql}"
            "inner join wanted_parts\n"
            "    on public.kpi_code = wanted_parts.kpi_code\n"
            f"    and {_fy_sql('public')} = wanted_parts.financial_year\n"
        )
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_org_parents(con: duckdb.DuckDBPyConnection, organisations: str) -> dict[str, str] | None:
    """Each organisation's parent from ``organisations`` (dim_organisations: org_code,
    parent_org_code; provider -> ICB -> region -> England), or None when ``con`` has no
    such table (a scorecard of providers and England only)."""
    schema, _, table = organisations.rpartition(".")
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = ?"
        + (" and table_schema = ?" if schema else ""),
        [table, schema] if schema else [table],
    ).fetchone()
    if not exists or not exists[0]:
        return None
    pairs = con.execute(
        f"select org_code, parent_org_code from {organisations} where parent_org_code is not null"
    ).fetchall()
    return {str(child): str(parent) for child, parent in pairs}


def find_leaks(
    con: duckdb.DuckDBPyConnection,
    *,
    restricted: str = "fct_kpi_scorecard",
    public: str = "fct_kpi_scorecard_public",
    kpis: str = "dim_kpis",
    organisations: str | None = "dim_organisations",
    org_parents: Mapping[str, str] | None = None,
    max_rounds: int = 50,
) -> DisclosureReport:
    """Run the differencing attack over the whole public scorecard.

    ``restricted``, ``public``, ``kpis`` and ``organisations`` are table names (trusted,
    from code) in ``con``; ``org_parents`` maps each organisation to its parent (default:
    the parents of ``organisations``, dim_organisations, when ``con`` has it, else every
    provider to England).
    """
    rows = _read(con, restricted, public, kpis)
    if org_parents is None:
        org_parents = published_org_parents(con, public, organisations)
    return analyse(rows, org_parents=org_parents, max_rounds=max_rounds)


def published_org_parents(
    con: duckdb.DuckDBPyConnection, public: str, organisations: str | None
) -> dict[str, str]:
    """The hierarchy the attack uses: each organisation of the whole public scorecard to
    its nearest published ancestor in ``organisations`` (dim_organisations), else every
    provider to England (``default_org_parents``)."""
    orgs = con.execute(f"select distinct org_code, org_level from {public}").fetchall()
    hierarchy = read_org_parents(con, organisations) if organisations else None
    if hierarchy is not None:
        return nearest_published_parents(hierarchy, {org for org, _ in orgs})
    return default_org_parents({"org_code": org, "org_level": level} for org, level in orgs)


def nearest_published_parents(hierarchy: Mapping[str, str], published: set[str]) -> dict[str, str]:
    """Each published organisation's nearest ancestor that the scorecard also publishes
    (a scorecard without ICB rows still gets provider -> England, never no relation)."""
    parents = {}
    for org in published:
        parent, seen = hierarchy.get(org), {org}
        while parent is not None and parent not in published and parent not in seen:
            seen.add(parent)
            parent = hierarchy.get(parent)
        if parent in published:
            parents[org] = parent
    return parents


def analyse(
    rows: list[dict[str, Any]],
    *,
    org_parents: Mapping[str, str] | None = None,
    max_rounds: int = 50,
    known: Mapping[Part, PartFacts] | None = None,
) -> DisclosureReport:
    """The attack over rows joining the restricted and public scorecards (see ``_QUERY``).

    ``known`` holds the recorded facts of parts not in ``rows`` (``check_in_proportion``):
    they stand in for those parts' rows in the scorecard-wide and KPI-wide inputs, so the
    parts read are judged exactly as the full check judges them.
    """
    if org_parents is None:
        org_parents = default_org_parents(rows)
    by_key: dict[Key, dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[c] for c in ROW_KEY)] = row
    true_counts: dict[Cell, float] = {}
    for key, row in by_key.items():
        for column, flag in COUNT_FLAGS.items():
            true = _num(row[f"true_{column}"])
            if row[flag] and _is_integral(true):
                true_counts[(key, column)] = round(true)
    candidates = _sum_candidates(by_key, org_parents)
    ratio_rows = _ratio_rows(by_key, true_counts)
    facts = _part_facts(by_key, true_counts, candidates, ratio_rows)
    globals_ = _Globals.of({**(known or {}), **facts})

    suppressed_range = SUPPRESSED_RANGE
    if globals_.shows_zero:
        suppressed_range = (1, SUPPRESSED_RANGE[1])
    domains = _Domains()
    truth: dict[Cell, float] = {}
    status: dict[Cell, str] = {}
    published: dict[Cell, float | None] = {}

    # A KPI whose every count is already a multiple of 5 (a public source's published
    # estimates, e.g. APS counts in hundreds) has nothing rounded to give back.
    def add_cell(key: Key, column: str, true: float | None, public_value: float | None) -> None:
        if not _is_integral(true):
            return  # a weighted or estimated figure, not a count of records
        low, high, state = _published_domain(public_value, true, suppressed_range)
        if state == "rounded" and key[3] in globals_.multiples_of_5_kpis:
            low, high, state = public_value, public_value, "exact"
        cell = (key, column)
        domains.low[cell], domains.high[cell] = low, high
        truth[cell], status[cell], published[cell] = round(true), state, public_value

    for key, row in by_key.items():
        if row["is_numerator_a_count"]:
            add_cell(key, "numerator", _num(row["true_numerator"]), _num(row["public_numerator"]))
        if row["is_denominator_a_count"]:
            add_cell(key, "denominator", _num(row["true_denominator"]), _num(row["public_denominator"]))

    relations: list[tuple[str, Any]] = []
    for family, members in candidates.items():
        if not globals_.fails(family):
            relations.extend(
                (family[0], ("sum", parent, children)) for parent, children in members if parent in truth
            )
    relations.extend(_value_relations(by_key, truth, domains, ratio_rows, globals_))
    counts: dict[str, int] = defaultdict(int)
    for name, _ in relations:
        counts[name] += 1

    # Propagate to a fixpoint: a relation is revisited when one of its cells changes.
    watchers: dict[Cell, list[int]] = defaultdict(list)
    for index, (_, relation) in enumerate(relations):
        for cell in _cells_of(relation):
            watchers[cell].append(index)
    pending = set(range(len(relations)))
    for _ in range(max_rounds):
        if not pending:
            break
        current, pending = sorted(pending), set()
        for index in current:
            for cell in _apply(domains, relations[index][1]):
                pending.update(watchers[cell])

    report = DisclosureReport(
        cells=len(truth),
        suppressed_cells=sum(1 for s in status.values() if s in ("suppressed", "hidden")),
        rounded_cells=sum(1 for s in status.values() if s == "rounded"),
        relations=dict(counts),
        contradictions=sorted(domains.empty, key=repr),
    )
    low_s, high_s = suppressed_range
    for cell, state in status.items():
        if cell in domains.empty:
            continue
        low, high = domains.low[cell], domains.high[cell]
        if state == "suppressed":
            low, high = max(low, low_s), min(high, high_s)
            if _possible_values(domains, cell, low, high) == 1 and truth[cell] != 0:
                report.leaks.append(
                    Leak(cell[0], cell[1], "suppressed_recovered", truth[cell], None, low, high)
                )
        elif (
            state in ("rounded", "hidden") and _possible_values(domains, cell, low, high) == 1 and truth[cell]
        ):
            report.leaks.append(
                Leak(cell[0], cell[1], "exact_count", truth[cell], published[cell], low, high)
            )
    report.leaks.sort(key=lambda leak: (leak.kind, repr(leak.key), leak.column))
    leaks_in: dict[Part, int] = defaultdict(int)
    for leak in report.leaks:
        leaks_in[part_of(leak.key)] += 1
    report.part_facts = {part: replace(f, leaks=leaks_in.get(part, 0)) for part, f in facts.items()}
    report.parts_read = len(facts)
    report.parts_total = len({**(known or {}), **facts})
    return report


def _shows_zero(row: Mapping[str, Any]) -> bool:
    """Does this row publish a count of 0 (so hidden counts are known to be 1-4)?"""
    return (row["is_numerator_a_count"] and row["public_numerator"] == 0) or (
        row["is_denominator_a_count"] and row["public_denominator"] == 0
    )


def _possible_values(domains: _Domains, cell: Cell, low: float, high: float) -> float:
    if not (math.isfinite(low) and math.isfinite(high)):
        return INF
    if high < low:
        return 0
    span = int(high - low) + 1
    return (span + 1) // 2 if cell in domains.parity else span


def _cells_of(relation: Any) -> list[Cell]:
    kind = relation[0]
    if kind == "sum":
        return [relation[1], *relation[2]]
    if kind == "none":
        return []
    return [side for side in (relation[1], relation[2]) if isinstance(side, tuple)]


def _apply(domains: _Domains, relation: Any) -> list[Cell]:
    if relation[0] == "sum":
        return _sum_relation(domains, relation[1], relation[2])
    if relation[0] == "none":
        return []
    return _ratio_relation(domains, relation[1], relation[2], relation[3], relation[4])


def _sum_candidates(
    by_key: dict[Key, dict[str, Any]], org_parents: Mapping[str, str]
) -> dict[tuple[Any, ...], list[tuple[Cell, list[Cell]]]]:
    """Candidate parent = sum(children) relations by family (``_Globals.fails`` keeps or drops a family).

    Every member's cells are in one part: the same KPI and (organisations, breakdowns:
    the same period; periods: a year's quarters, a quarter's months) the same financial year.
    """
    org_i, ptype_i, pstart_i, kpi_i, btype_i, bvalue_i = range(6)
    candidates: dict[tuple[Any, ...], list[tuple[Cell, list[Cell]]]] = defaultdict(list)

    # Organisations: parent = sum of children, same period, KPI, breakdown and column.
    children_of: dict[tuple[Any, ...], list[Key]] = defaultdict(list)
    for key in by_key:
        parent = org_parents.get(key[org_i])
        if parent is not None:
            children_of[(parent, *key[1:])].append(key)
    for parent_key, child_keys in children_of.items():
        if parent_key not in by_key:
            continue
        for column in ("numerator", "denominator"):
            family = ("organisations", parent_key[kpi_i], parent_key[btype_i], column)
            candidates[family].append(((parent_key, column), [(k, column) for k in child_keys]))

    # Periods: financial year = sum of quarters, quarter = sum of months.
    by_group: dict[tuple[Any, ...], list[Key]] = defaultdict(list)
    for key in by_key:
        by_group[(key[org_i], key[kpi_i], key[btype_i], key[bvalue_i], key[ptype_i])].append(key)
    for key, row in by_key.items():
        child_type = PERIOD_CHILDREN.get(key[ptype_i])
        if child_type is None:
            continue
        siblings = by_group.get((key[org_i], key[kpi_i], key[btype_i], key[bvalue_i], child_type), [])
        child_keys = [
            k
            for k in siblings
            if k[pstart_i] >= key[pstart_i] and by_key[k]["period_end"] <= row["period_end"]
        ]
        if not child_keys:
            continue
        for column in ("numerator", "denominator"):
            family = ("periods", key[ptype_i], key[kpi_i], key[btype_i], column)
            candidates[family].append(((key, column), [(k, column) for k in child_keys]))

    # Breakdowns: the headline = sum of the categories of one breakdown type.
    categories: dict[tuple[Any, ...], list[Key]] = defaultdict(list)
    for key in by_key:
        if key[btype_i] is not None:
            categories[(key[org_i], key[ptype_i], key[pstart_i], key[kpi_i], key[btype_i])].append(key)
    for group, child_keys in categories.items():
        headline = (*group[:4], None, None)
        if headline not in by_key:
            continue
        for parent_column, child_column in (
            ("numerator", "numerator"),
            ("denominator", "denominator"),
            ("denominator", "numerator"),
        ):
            family = ("breakdowns", group[3], group[4], parent_column, child_column)
            candidates[family].append(((headline, parent_column), [(k, child_column) for k in child_keys]))

    return candidates


def _ratio_rows(
    by_key: dict[Key, dict[str, Any]], truth: Mapping[Cell, float]
) -> dict[str, list[tuple[Key, dict[str, Any], float]]]:
    """Per KPI, the rows whose published value may be read as numerator / denominator."""
    ratio_rows: dict[str, list[tuple[Key, dict[str, Any], float]]] = defaultdict(list)
    for key, row in by_key.items():
        unit, value = row["unit"], row["public_value"]
        if value is None or row["is_suppressed"]:
            continue
        if unit == "median_days" and (key, "denominator") in truth:
            continue
        if not row["is_value_a_count"]:
            ratio_rows[row["kpi_code"]].append((key, row, _num(value)))
    return ratio_rows


def _ratio_holds(row: Mapping[str, Any], value_f: float) -> bool:
    """Is the published value the row's true numerator / denominator to its published precision?"""
    true_num, true_den = _num(row["true_numerator"]), _num(row["true_denominator"])
    half = _half_ulp(row["public_value"])
    return not (true_num is None or not true_den or abs(value_f - true_num / true_den) > half + 1e-12)


def _value_relations(
    by_key: dict[Key, dict[str, Any]],
    truth: dict[Cell, float],
    domains: _Domains,
    ratio_rows: Mapping[str, list[tuple[Key, dict[str, Any], float]]],
    globals_: _Globals,
) -> list[tuple[str, Any]]:
    """What a published value says about the row's counts beyond its published parts."""
    relations: list[tuple[str, Any]] = []
    for key, row in by_key.items():
        unit, value = row["unit"], row["public_value"]
        if value is None or row["is_suppressed"]:
            continue
        value_f = _num(value)
        half_day = abs(value_f * 2 - round(value_f * 2)) < 1e-9 and not _is_integral(value_f)
        if unit == "median_days" and (key, "denominator") in truth and half_day:
            cell = (key, "denominator")
            domains.parity[cell] = 0  # a median of whole days ending in .5: an even count
            domains.tighten(cell, domains.low[cell], domains.high[cell])
            relations.append(("median parity", ("none",)))

    # A value is read as the exact ratio of the row's parts only when it is that for
    # every row of its KPI, in every year (the family ("derived values", kpi): the
    # attacker knows the method, not each row's truth); a value worked from the
    # published parts says nothing more than they do.
    for kpi, rows_of_kpi in ratio_rows.items():
        if globals_.fails(("derived values", kpi)):
            continue
        for key, row, value_f in rows_of_kpi:
            half = _half_ulp(row["public_value"])
            pub_num, pub_den = _num(row["public_numerator"]), _num(row["public_denominator"])
            numerator: Cell | float | None = (key, "numerator") if (key, "numerator") in truth else pub_num
            denominator: Cell | float | None = (
                (key, "denominator") if (key, "denominator") in truth else pub_den
            )
            if numerator is None or denominator is None:
                continue  # a part the attacker does not see (e.g. the sum behind a mean)
            if not isinstance(numerator, tuple) and not isinstance(denominator, tuple):
                continue
            ratio = ("ratio", numerator, denominator, value_f - half, value_f + half)
            relations.append(("derived values", ratio))
    return relations


def leak_frame(con: duckdb.DuckDBPyConnection, **kwargs: Any) -> Any:
    """``find_leaks`` as a pandas frame, one row per leak (empty when none), for the audit."""
    return frame_of(find_leaks(con, **kwargs))


def frame_of(report: DisclosureReport) -> Any:
    """A report's leaks as a pandas frame, one row per leak (empty when none)."""
    import pandas as pd

    columns = [*ROW_KEY, "column", "kind", "true_value", "published", "possible_low", "possible_high"]
    return pd.DataFrame([leak.as_dict() for leak in report.leaks], columns=columns)


# --- The check in proportion to what changed -------------------------------------------

# Where an audit records its check (the build database; published with the restricted
# tree only: the facts derive from true values).
AUDIT_SCHEMA = "disclosure_check"
# The columns the attack reads, whose change changes a part.
_RESTRICTED_COLUMNS = (*ROW_KEY, "numerator", "denominator", "value")
_PUBLIC_COLUMNS = (*ROW_KEY, "org_level", "period_end", "numerator", "denominator", "value", "is_suppressed")
_KPI_COLUMNS = ("kpi_code", "unit", "is_numerator_a_count", "is_denominator_a_count", "is_value_a_count")


def checker_fingerprint() -> str:
    """SHA-256 of this module's source, the hidden range and the rounding base."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps([list(SUPPRESSED_RANGE), ROUNDING_BASE]).encode())
    return digest.hexdigest()


@dataclass
class CheckerState:
    """What a check recorded: the checker, the hierarchy it used and every part's facts."""

    fingerprint: str
    suppressed_range: tuple[int, int]
    rounding_base: int
    org_parents: dict[str, str]
    facts: dict[Part, PartFacts]


def _table_exists(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchone()
    return bool(found and found[0])


def read_state(con: duckdb.DuckDBPyConnection, catalog: str) -> CheckerState | None:
    """The state a check recorded in ``catalog`` (an attached release), or None."""
    if not all(_table_exists(con, catalog, AUDIT_SCHEMA, t) for t in ("checker", "part_facts")):
        return None
    prefix = f"{ident(catalog)}.{AUDIT_SCHEMA}"
    checker = con.execute(
        "select fingerprint, suppressed_low, suppressed_high, rounding_base, org_parents "
        f"from {prefix}.checker"
    ).fetchall()
    if len(checker) != 1:
        return None
    fingerprint, low, high, base, parents = checker[0]
    facts = {
        (str(kpi), int(year)): PartFacts(bool(zero), bool(unrounded), frozenset(families or ()), int(leaks))
        for kpi, year, zero, unrounded, families, leaks in con.execute(
            "select kpi_code, financial_year, shows_zero, has_unrounded_count, failing_families, leaks "
            f"from {prefix}.part_facts"
        ).fetchall()
    }
    return CheckerState(fingerprint, (int(low), int(high)), int(base), json.loads(parents), facts)


def write_state(con: duckdb.DuckDBPyConnection, report: DisclosureReport) -> None:
    """Record ``report``'s check (``check_in_proportion``) in ``AUDIT_SCHEMA`` of ``con``."""
    con.execute(f"create schema if not exists {AUDIT_SCHEMA}")
    con.execute(
        f"create or replace table {AUDIT_SCHEMA}.checker (fingerprint varchar, suppressed_low integer, "
        "suppressed_high integer, rounding_base integer, org_parents varchar, mode varchar, "
        "mode_reason varchar, parts_read integer, parts_total integer)"
    )
    con.execute(
        f"insert into {AUDIT_SCHEMA}.checker values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            checker_fingerprint(),
            SUPPRESSED_RANGE[0],
            SUPPRESSED_RANGE[1],
            ROUNDING_BASE,
            json.dumps(report.org_parents, sort_keys=True),
            report.mode,
            report.mode_reason,
            report.parts_read,
            report.parts_total,
        ],
    )
    con.execute(
        f"create or replace table {AUDIT_SCHEMA}.part_facts (kpi_code varchar, financial_year integer, "
        "shows_zero boolean, has_unrounded_count boolean, failing_families varchar[], leaks integer)"
    )
    rows = [
        [kpi, year, f.shows_zero, f.has_unrounded_count, sorted(f.failing_families), f.leaks]
        for (kpi, year), f in sorted(report.part_facts.items())
    ]
    if rows:
        con.executemany(f"insert into {AUDIT_SCHEMA}.part_facts values (?, ?, ?, ?, ?, ?)", rows)


def changed_parts(
    con: duckdb.DuckDBPyConnection,
    *,
    restricted: str,
    public: str,
    kpis: str,
    previous: str,
    recorded: Iterable[Part],
) -> set[Part]:
    """The parts whose rows the attack reads differ from the release ``previous`` (a catalog
    attached read-only with the marts in ``main``): restricted or public scorecard rows
    (EXCEPT ALL both ways, over the columns the attack reads), and every part of a KPI
    whose registry flags changed (``recorded``: the parts the previous check knew)."""
    old = f"{ident(previous)}.main"
    fy = _fy_sql("diff")
    branches = []
    for new_table, old_table, columns in (
        (restricted, f"{old}.fct_kpi_scorecard", _RESTRICTED_COLUMNS),
        (public, f"{old}.fct_kpi_scorecard_public", _PUBLIC_COLUMNS),
    ):
        listed = ", ".join(ident(c) for c in columns)
        for first, second in ((new_table, old_table), (old_table, new_table)):
            branches.append(
                f"select kpi_code, period_start from (select {listed} from {first} "
                f"except all select {listed} from {second}) as one_way"
            )
    sql = f"select distinct kpi_code, {fy} from ({' union all '.join(branches)}) as diff"
    parts = {(str(kpi), int(year)) for kpi, year in con.execute(sql).fetchall()}
    listed = ", ".join(ident(c) for c in _KPI_COLUMNS)
    flags = con.execute(
        f"select kpi_code from (select {listed} from {kpis} except all "
        f"select {listed} from {old}.dim_kpis) as new_flags "
        f"union select kpi_code from (select {listed} from {old}.dim_kpis except all "
        f"select {listed} from {kpis}) as old_flags"
    ).fetchall()
    changed_kpis = {str(kpi) for (kpi,) in flags}
    parts |= {part for part in recorded if part[0] in changed_kpis}
    return parts


def _why_full(state: CheckerState | None, org_parents: Mapping[str, str]) -> str | None:
    """Why the check must read the whole scorecard, or None when it may read in proportion."""
    if state is None:
        return "no previous release with recorded facts"
    if state.suppressed_range != SUPPRESSED_RANGE or state.rounding_base != ROUNDING_BASE:
        return "the hidden range or the rounding base changed"
    if state.fingerprint != checker_fingerprint():
        return "the checker (ipskpi.disclosure) changed"
    if state.org_parents != dict(org_parents):
        return "the organisation hierarchy changed"
    if not state.facts:
        return "no previous release with recorded facts"
    return None


def check_in_proportion(
    con: duckdb.DuckDBPyConnection,
    *,
    restricted: str = "fct_kpi_scorecard",
    public: str = "fct_kpi_scorecard_public",
    kpis: str = "dim_kpis",
    organisations: str | None = "dim_organisations",
    previous: str | None = None,
    max_rounds: int = 50,
) -> DisclosureReport:
    """``find_leaks``, reading only the parts (KPI, financial year) whose verdict can differ
    from the check recorded in the release ``previous`` (an attached catalog, or None).

    It reads (a) the parts whose rows differ from the previous release (``changed_parts``),
    (b) the parts the previous check found a leak in, and (c) every part of a KPI whose
    KPI-wide inputs (all counts multiples of 5; a relation family failing somewhere) and
    every part when the scorecard-wide input (a published 0) differ once the new facts of
    (a) and (b) replace their recorded ones; the recorded facts of the other parts stand in
    for their rows. The verdict is the full check's. It reads everything (``mode`` "full",
    ``mode_reason`` why) without a previous release with recorded facts, or when the
    checker, the hidden range, the rounding base or the organisation hierarchy changed.
    """
    org_parents = published_org_parents(con, public, organisations)
    state = read_state(con, previous) if previous else None
    reason = _why_full(state, org_parents)
    changed: set[Part] = set()
    if reason is None and state is not None:
        try:
            changed = changed_parts(
                con, restricted=restricted, public=public, kpis=kpis, previous=previous, recorded=state.facts
            )
        except duckdb.Error as exc:
            reason = f"the previous release could not be compared ({str(exc).splitlines()[0]})"
    if reason is not None or state is None:
        report = analyse(_read(con, restricted, public, kpis), org_parents=org_parents, max_rounds=max_rounds)
        report.mode, report.mode_reason, report.org_parents = "full", reason or "", org_parents
        return report

    first = changed | {part for part, f in state.facts.items() if f.leaks}
    rows = _read(con, restricted, public, kpis, first)
    new_facts = facts_of(rows, org_parents)
    combined = {part: f for part, f in state.facts.items() if part not in first} | new_facts
    before, after = _Globals.of(state.facts), _Globals.of(combined)
    if before.shows_zero != after.shows_zero:
        flipped = set(combined)
    else:
        kpis_flipped = {kpi for kpi, _ in combined if before.of_kpi(kpi) != after.of_kpi(kpi)}
        flipped = {part for part in combined if part[0] in kpis_flipped}
    more = flipped - first
    rows += _read(con, restricted, public, kpis, more)
    read = first | more
    known = {part: replace(f, leaks=0) for part, f in combined.items() if part not in read}
    report = analyse(rows, org_parents=org_parents, max_rounds=max_rounds, known=known)
    report.part_facts = {**known, **report.part_facts}
    report.mode, report.org_parents = "proportional", org_parents
    report.mode_reason = (
        f"{len(changed)} changed, {len(first - changed)} with a leak last time, {len(more)} re-judged"
    )
    return report


def facts_of(rows: list[dict[str, Any]], org_parents: Mapping[str, str]) -> dict[Part, PartFacts]:
    """The facts (``PartFacts``, without leaks) of the parts in ``rows``."""
    by_key = {tuple(row[c] for c in ROW_KEY): row for row in rows}
    truth: dict[Cell, float] = {}
    for key, row in by_key.items():
        for column, flag in COUNT_FLAGS.items():
            true = _num(row[f"true_{column}"])
            if row[flag] and _is_integral(true):
                truth[(key, column)] = round(true)
    return _part_facts(by_key, truth, _sum_candidates(by_key, org_parents), _ratio_rows(by_key, truth))
