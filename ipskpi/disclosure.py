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

``find_leaks(con)`` runs it on a DuckDB connection holding ``fct_kpi_scorecard``,
``fct_kpi_scorecard_public`` and ``dim_kpis`` (and ``dim_organisations``, whose parents
are the organisation hierarchy: provider -> ICB -> region -> England); ``leak_frame(con)``
is the frame of leaks the audit's Great Expectations suite
``expectations/disclosure__differencing.json`` validates.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

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

    @property
    def suppressed_recovered(self) -> list[Leak]:
        return [leak for leak in self.leaks if leak.kind == "suppressed_recovered"]

    @property
    def exact_counts(self) -> list[Leak]:
        return [leak for leak in self.leaks if leak.kind == "exact_count"]

    def summary(self) -> str:
        return (
            f"{len(self.suppressed_recovered)} suppressed cell(s) recoverable, "
            f"{len(self.exact_counts)} exact count(s) given back "
            f"(of {self.suppressed_cells} suppressed and {self.rounded_cells} rounded count cells; "
            f"relations used: {', '.join(f'{k} {v}' for k, v in sorted(self.relations.items())) or 'none'})"
        )


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


def _read(con: duckdb.DuckDBPyConnection, restricted: str, public: str, kpis: str) -> list[dict[str, Any]]:
    join = " and ".join(f"restricted.{c} is not distinct from public.{c}" for c in ROW_KEY)
    sql = _QUERY.format(
        keys=", ".join(f"public.{c}" for c in ROW_KEY),
        restricted=restricted,
        public=public,
        kpis=kpis,
        join=join,
    )
    cursor = con.execute(sql)
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
    if org_parents is None and organisations:
        hierarchy = read_org_parents(con, organisations)
        if hierarchy is not None:
            org_parents = nearest_published_parents(hierarchy, {row["org_code"] for row in rows})
    return analyse(rows, org_parents=org_parents, max_rounds=max_rounds)


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
) -> DisclosureReport:
    """The attack over rows joining the restricted and public scorecards (see ``_QUERY``)."""
    if org_parents is None:
        org_parents = default_org_parents(rows)
    suppressed_range = SUPPRESSED_RANGE
    if any(_shows_zero(row) for row in rows):
        suppressed_range = (1, SUPPRESSED_RANGE[1])
    domains = _Domains()
    truth: dict[Cell, float] = {}
    status: dict[Cell, str] = {}
    published: dict[Cell, float | None] = {}

    # A KPI whose every count is already a multiple of 5 (a public source's published
    # estimates, e.g. APS counts in hundreds) has nothing rounded to give back.
    unrounded_kpis = {row["kpi_code"] for row in rows}
    for row in rows:
        for column, flag in COUNT_FLAGS.items():
            true = _num(row[f"true_{column}"])
            if row[flag] and _is_integral(true) and round(true) % ROUNDING_BASE:
                unrounded_kpis.discard(row["kpi_code"])

    def add_cell(key: Key, column: str, true: float | None, public_value: float | None) -> None:
        if not _is_integral(true):
            return  # a weighted or estimated figure, not a count of records
        low, high, state = _published_domain(public_value, true, suppressed_range)
        if state == "rounded" and key[3] in unrounded_kpis:
            low, high, state = public_value, public_value, "exact"
        cell = (key, column)
        domains.low[cell], domains.high[cell] = low, high
        truth[cell], status[cell], published[cell] = round(true), state, public_value

    by_key: dict[Key, dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in ROW_KEY)
        by_key[key] = row
        if row["is_numerator_a_count"]:
            add_cell(key, "numerator", _num(row["true_numerator"]), _num(row["public_numerator"]))
        if row["is_denominator_a_count"]:
            add_cell(key, "denominator", _num(row["true_denominator"]), _num(row["public_denominator"]))

    relations: list[tuple[str, Any]] = []
    relations.extend(_sum_relations(by_key, truth, org_parents))
    relations.extend(_value_relations(by_key, truth, domains))
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


def _sum_relations(
    by_key: dict[Key, dict[str, Any]], truth: dict[Cell, float], org_parents: Mapping[str, str]
) -> list[tuple[str, Any]]:
    """Candidate parent = sum(children) relations, kept per family only where all hold exactly."""
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

    relations: list[tuple[str, Any]] = []
    for family, members in candidates.items():
        usable = []
        holds = True
        for parent, children in members:
            if parent not in truth:
                continue
            known = [c for c in children if c in truth]
            if len(known) != len(children) or not known:
                holds = False
                break
            if abs(truth[parent] - sum(truth[c] for c in known)) > 1e-6:
                holds = False
                break
            usable.append((parent, known))
        if holds:
            relations.extend((family[0], ("sum", parent, children)) for parent, children in usable)
    return relations


def _value_relations(
    by_key: dict[Key, dict[str, Any]], truth: dict[Cell, float], domains: _Domains
) -> list[tuple[str, Any]]:
    """What a published value says about the row's counts beyond its published parts."""
    relations: list[tuple[str, Any]] = []
    ratio_rows: dict[str, list[tuple[Key, dict[str, Any], float]]] = defaultdict(list)
    for key, row in by_key.items():
        unit, value = row["unit"], row["public_value"]
        if value is None or row["is_suppressed"]:
            continue
        value_f = _num(value)
        if unit == "median_days" and (key, "denominator") in truth:
            if abs(value_f * 2 - round(value_f * 2)) < 1e-9 and not _is_integral(value_f):
                cell = (key, "denominator")
                domains.parity[cell] = 0  # a median of whole days ending in .5: an even count
                domains.tighten(cell, domains.low[cell], domains.high[cell])
                relations.append(("median parity", ("none",)))
            continue
        if not row["is_value_a_count"]:
            ratio_rows[row["kpi_code"]].append((key, row, value_f))

    # A value is read as the exact ratio of the row's parts only when it is that for
    # every row of its KPI (the attacker knows the method, not each row's truth); a value
    # worked from the published parts says nothing more than they do.
    for rows_of_kpi in ratio_rows.values():
        parts = []
        for key, row, value_f in rows_of_kpi:
            true_num, true_den = _num(row["true_numerator"]), _num(row["true_denominator"])
            half = _half_ulp(row["public_value"])
            if true_num is None or not true_den or abs(value_f - true_num / true_den) > half + 1e-12:
                break
            parts.append((key, row, value_f, half))
        else:
            for key, row, value_f, half in parts:
                pub_num, pub_den = _num(row["public_numerator"]), _num(row["public_denominator"])
                numerator: Cell | float | None = (
                    (key, "numerator") if (key, "numerator") in truth else pub_num
                )
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
    import pandas as pd

    report = find_leaks(con, **kwargs)
    columns = [*ROW_KEY, "column", "kind", "true_value", "published", "possible_low", "possible_high"]
    return pd.DataFrame([leak.as_dict() for leak in report.leaks], columns=columns)
