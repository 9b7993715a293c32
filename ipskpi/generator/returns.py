"""Cut monthly provider returns from the life histories and write them (CSV folders or XLSX).

The current-state rule: the return for month M holds every referral open at
any time in M or received in M, as known at the end of M (a date later than
the month end is not known yet, so it is empty); contacts dated in M; jobs
that start or end in M; education starting in M; the staff in post in M; the
finance rows of M's financial year; reviews and assessments dated in M. A
provider's first return also carries the jobs still open when it starts, so
carried-over clients arrive with their current jobs. Corrections re-send a
record with its true value; a deletion re-sends it once with
``record_status = deleted``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipskpi.contract import TABLES_BY_NAME
from ipskpi.generator import codes as C
from ipskpi.generator import timeline, writers
from ipskpi.generator.lifecycle import AS_OF_DAY
from ipskpi.generator.reference import ProviderPlan, ScaleConfig
from ipskpi.generator.scenarios import Correction
from ipskpi.generator.timeline import NEVER

TABLE_ORDER = (
    "referrals",
    "contacts",
    "jobs",
    "education",
    "staff",
    "finance",
    "fidelity_reviews",
    "quality_assessments",
)
STATUS = pa.array(["active", "deleted"])


@dataclass
class Histories:
    """Everything simulated for one run, with ids assigned."""

    plan: ProviderPlan
    scale: ScaleConfig
    ref: pd.DataFrame
    jobs: pd.DataFrame
    edu: pd.DataFrame
    contacts: pd.DataFrame
    staff: pd.DataFrame
    people: pd.DataFrame
    finance: pd.DataFrame
    fidelity: pd.DataFrame
    quality: pd.DataFrame
    corrections: list[Correction] = field(default_factory=list)
    resends: list[tuple[str, int, int]] = field(default_factory=list)
    ids: dict[str, pa.Array] = field(default_factory=dict)


@dataclass
class TableCut:
    """One table's rows across all returns, sorted by provider, month and key."""

    prov: np.ndarray
    month: np.ndarray
    table: pa.Table


# --- Arrow column builders -------------------------------------------------------------------


def _codes(index: np.ndarray, labels: tuple[str, ...] | np.ndarray) -> pa.Array:
    idx = np.asarray(index, dtype=np.int32)
    dictionary = pa.array([str(x) for x in labels])
    return pa.DictionaryArray.from_arrays(pa.array(idx, mask=idx < 0), dictionary).cast(pa.string())


def _yn(flag: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    idx = np.where(np.asarray(flag, dtype=bool), C.index(C.YN, "Y"), C.index(C.YN, "N"))
    if null is not None:
        idx = np.where(null, -1, idx)
    return _codes(idx, C.YN)


def _dates(days: np.ndarray, shown: np.ndarray | None = None) -> pa.Array:
    d = np.asarray(days, dtype=np.int64)
    hidden = d >= NEVER if shown is None else ~shown | (d >= NEVER)
    return pa.array(np.where(hidden, 0, d).astype("datetime64[D]"), mask=hidden)


def _ints(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64))


def _decimal_text(
    whole: np.ndarray, fraction: np.ndarray, digits: int, null: np.ndarray, drop_zero_fraction: bool
) -> pa.Array:
    """Text such as ``16``, ``7.5`` or ``11.44`` from whole and fractional parts."""
    w = pc.cast(pa.array(np.asarray(whole, dtype=np.int64)), pa.string())
    f = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(fraction, dtype=np.int64)), pa.string()), width=digits, padding="0"
    )
    joined = pc.binary_join_element_wise(w, f, ".")
    if drop_zero_fraction:
        joined = pc.if_else(pa.array(np.asarray(fraction) == 0), w, joined)
    return pc.if_else(pa.array(np.asarray(null, dtype=bool)), pa.scalar(None, pa.string()), joined)


def _assemble(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    wanted = TABLES_BY_NAME[name].column_names
    missing = set(wanted) - set(columns)
    assert not missing, f"{name}: no values for {missing}"
    return pa.table([columns[c] for c in wanted], names=list(wanted))


# --- which months each record is sent in -------------------------------------------------------


def _expand(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, month) for every month from first to last (inclusive) of each row."""
    count = np.maximum(np.asarray(last, dtype=np.int64) - first + 1, 0)
    rows = np.repeat(np.arange(len(first)), count)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    return rows, (np.asarray(first, dtype=np.int64)[rows] + offset)


def _with_deletions(
    rows: np.ndarray, months: np.ndarray, deleted_month: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stop sending a record after it is deleted; send it once more, deleted, in that month."""
    dm = np.asarray(deleted_month, dtype=np.int64)
    keep = months < dm[rows]
    gone = np.flatnonzero(dm < NEVER)
    rows = np.concatenate([rows[keep], gone])
    months = np.concatenate([months[keep], dm[gone]])
    return rows, months, months == dm[rows]


def _in_window(h: Histories, prov: np.ndarray, months: np.ndarray) -> np.ndarray:
    first = h.plan.table["first_return"].to_numpy()[prov]
    return (months >= first) & (months <= h.scale.months[-1])


def _referral_months(h: Histories) -> tuple[np.ndarray, np.ndarray]:
    """First and last month each referral is sent in (last < first: never sent)."""
    r = h.ref
    rdate = r["rdate"].to_numpy().astype(np.int64)
    first = np.maximum(
        timeline.month_of(rdate), h.plan.table["first_return"].to_numpy()[r["prov"].to_numpy()]
    )
    end = np.minimum(r["closure"].to_numpy().astype(np.int64), AS_OF_DAY)
    last = np.where(r["accepted"].to_numpy(), timeline.month_of(end), timeline.month_of(rdate))
    last = np.minimum(last, r["deleted_month"].to_numpy())
    return first.astype(np.int64), last.astype(np.int64)


def _apply_corrections(
    h: Histories, table: str, rows: np.ndarray, months: np.ndarray, column: str, values: np.ndarray
) -> np.ndarray:
    out = values.copy()
    for c in h.corrections:
        if c.table == table and c.column == column:
            out[(rows == c.row) & (months < c.until)] = c.shown
    return out


def _sorted(prov: np.ndarray, months: np.ndarray, key: np.ndarray, table: pa.Table) -> TableCut:
    order = np.lexsort((key, months, prov))
    return TableCut(prov[order], months[order], table.take(pa.array(order)))


# --- the eight tables -------------------------------------------------------------------------


def cut_referrals(h: Histories) -> TableCut:
    """Every referral open in, or received in, each month, in its state at that month's end."""
    r = h.ref
    prov_all = r["prov"].to_numpy()
    first, last = _referral_months(h)
    rows, months = _expand(first, last)
    rows, months, deleted = _with_deletions(rows, months, r["deleted_month"].to_numpy())
    ok = _in_window(h, prov_all[rows], months)
    rows, months, deleted = rows[ok], months[ok], deleted[ok]
    month_end = timeline.month_end(months)
    prov = prov_all[rows]
    vp = _apply_corrections(h, "referrals", rows, months, "vp", r["vp"].to_numpy()[rows])
    closure = r["closure"].to_numpy()[rows]
    closed = closure <= month_end
    team = r["team"].to_numpy()[rows]
    col = lambda name: r[name].to_numpy()[rows]  # noqa: E731
    columns = {
        "provider_code": _codes(prov, h.plan.table["provider_code"].to_numpy()),
        "referral_id": h.ids["referral"].take(pa.array(rows)),
        "client_id": h.ids["client"].take(pa.array(rows)),
        "team_code": _codes(team, h.plan.team_codes),
        "team_type": _codes(h.plan.team_types[team], C.TEAM_TYPE),
        "referral_date": _dates(col("rdate")),
        "referral_source": _codes(col("source"), C.REFERRAL_SOURCE),
        "in_secondary_mh_care": _codes(col("in_smh"), C.YNU),
        "accepted": _yn(col("accepted")),
        "rejection_reason": _codes(col("rejection"), C.REJECTION_REASON),
        "vocational_profile_date": _dates(vp, vp <= month_end),
        "age_at_referral": _ints(col("age")),
        "gender": _codes(col("gender"), C.GENDER),
        "ethnic_category": _codes(col("ethnic"), C.ETHNIC),
        "highest_qualification": _codes(col("qual"), C.QUALIFICATION),
        "employment_status": _codes(col("status"), C.EMPLOYMENT_STATUS),
        "employed_detail": _codes(col("detail"), C.EMPLOYED_DETAIL),
        "last_paid_work": _codes(col("last_paid"), C.LAST_PAID_WORK),
        "held_job_12m_plus": _codes(col("held12"), C.YNU),
        "benefit": _codes(col("benefit"), C.BENEFIT),
        "care_plan_employment_action": _codes(col("cp_emp"), C.YNU),
        "care_plan_retention_action": _codes(col("cp_ret"), C.YNU),
        "living_situation": _codes(col("living"), C.LIVING),
        "residence_la_code": _codes(col("la"), h.plan.catchment_las),
        "closure_date": _dates(closure, closed),
        "closure_reason": _codes(np.where(closed, col("reason"), -1), C.CLOSURE_REASON),
        "retention_outcome": _codes(np.where(closed, col("retention"), -1), C.RETENTION),
        "record_status": _codes(deleted.astype(np.int64), STATUS.to_pylist()),
    }
    return _sorted(prov, months, r["seq"].to_numpy()[rows], _assemble("referrals", columns))


def cut_jobs(h: Histories) -> TableCut:
    """Jobs in the month they start and the month they end, plus the open ones in a first return."""
    j = h.jobs
    ref = j["ref"].to_numpy()
    prov_all = h.ref["prov"].to_numpy()[ref]
    start = j["start"].to_numpy().astype(np.int64)
    end = j["end"].to_numpy().astype(np.int64)
    ref_first, ref_last = (a[ref] for a in _referral_months(h))
    first_day = timeline.month_start(ref_first)
    carried = (start < first_day) & (end >= first_day)
    n = len(j)
    idx = np.arange(n)
    extra_rows = np.array([row for table, row, _ in h.resends if table == "jobs"], dtype=np.int64)
    extra_months = np.array([mm for table, _, mm in h.resends if table == "jobs"], dtype=np.int64)
    rows = np.concatenate([idx, idx[end < NEVER], idx[carried], extra_rows])
    months = np.concatenate(
        [timeline.month_of(start), timeline.month_of(end[end < NEVER]), ref_first[carried], extra_months]
    ).astype(np.int64)
    pairs = np.unique(np.stack([rows, months], axis=1), axis=0)
    rows, months = pairs[:, 0], pairs[:, 1]
    rows, months, deleted = _with_deletions(rows, months, j["deleted_month"].to_numpy())
    # Only once the referral itself has been sent (no job of a referral closed before returns began).
    ok = (
        _in_window(h, prov_all[rows], months)
        & (months >= ref_first[rows])
        & (ref_last[rows] >= ref_first[rows])
    )
    rows, months, deleted = rows[ok], months[ok], deleted[ok]
    month_end = timeline.month_end(months)
    end_rows = _apply_corrections(h, "jobs", rows, months, "end", end[rows])
    col = lambda name: j[name].to_numpy()[rows]  # noqa: E731
    half = col("half_hours")
    pay = col("pay")
    self_emp = col("contract") == C.SELF_EMPLOYED
    columns = {
        "provider_code": _codes(prov_all[rows], h.plan.table["provider_code"].to_numpy()),
        "job_id": h.ids["job"].take(pa.array(rows)),
        "referral_id": h.ids["referral"].take(pa.array(ref[rows])),
        "start_date": _dates(start[rows]),
        "end_date": _dates(end_rows, end_rows <= month_end),
        "worked_4_hours": _yn(col("worked4")),
        "hours_per_week": _decimal_text(
            half // 2, (half % 2) * 5, 1, np.zeros(len(rows), bool), drop_zero_fraction=True
        ),
        "contract_type": _codes(col("contract"), C.CONTRACT_TYPE),
        "is_retained_job": _yn(col("retained")),
        "placement_scheme": _yn(col("placement")),
        "sector": _codes(col("sector"), C.SECTOR),
        "hourly_pay_gbp": _decimal_text(pay // 100, pay % 100, 2, pay <= 0, drop_zero_fraction=False),
        "evidence": _codes(col("evidence"), C.EVIDENCE),
        "hmrc_registered": _codes(np.where(self_emp, col("hmrc"), -1), C.YN),
        "has_business_plan": _codes(np.where(self_emp, col("plan"), -1), C.YN),
        "record_status": _codes(deleted.astype(np.int64), STATUS.to_pylist()),
    }
    return _sorted(prov_all[rows], months, j["seq"].to_numpy()[rows], _assemble("jobs", columns))


def cut_contacts(h: Histories) -> TableCut:
    """Contacts in the month they happen."""
    c = h.contacts
    ref = c["ref"].to_numpy()
    prov_all = h.ref["prov"].to_numpy()[ref]
    rows = np.arange(len(c))
    months = timeline.month_of(c["date"].to_numpy()).astype(np.int64)
    rows, months, deleted = _with_deletions(rows, months, c["deleted_month"].to_numpy())
    ok = _in_window(h, prov_all[rows], months)
    rows, months, deleted = rows[ok], months[ok], deleted[ok]
    competitive = c["competitive"].to_numpy()[rows]
    columns = {
        "provider_code": _codes(prov_all[rows], h.plan.table["provider_code"].to_numpy()),
        "contact_id": h.ids["contact"].take(pa.array(rows)),
        "referral_id": h.ids["referral"].take(pa.array(ref[rows])),
        "contact_date": _dates(c["date"].to_numpy()[rows]),
        "contact_type": _codes(c["type"].to_numpy()[rows], C.CONTACT_TYPE),
        "employment_specialist_id": h.ids["staff"].take(pa.array(c["person"].to_numpy()[rows])),
        "competitive_job": _yn(competitive == 1, competitive < 0),
        "record_status": _codes(deleted.astype(np.int64), STATUS.to_pylist()),
    }
    return _sorted(prov_all[rows], months, c["seq"].to_numpy()[rows], _assemble("contacts", columns))


def cut_education(h: Histories) -> TableCut:
    """Courses in the month they start."""
    e = h.edu
    ref = e["ref"].to_numpy()
    prov_all = h.ref["prov"].to_numpy()[ref]
    rows = np.arange(len(e))
    months = timeline.month_of(e["start"].to_numpy()).astype(np.int64)
    rows, months, deleted = _with_deletions(rows, months, e["deleted_month"].to_numpy())
    ok = _in_window(h, prov_all[rows], months)
    rows, months, deleted = rows[ok], months[ok], deleted[ok]
    columns = {
        "provider_code": _codes(prov_all[rows], h.plan.table["provider_code"].to_numpy()),
        "education_id": h.ids["education"].take(pa.array(rows)),
        "referral_id": h.ids["referral"].take(pa.array(ref[rows])),
        "start_date": _dates(e["start"].to_numpy()[rows]),
        "setting": _codes(e["setting"].to_numpy()[rows], C.SETTING),
        "level": _codes(e["level"].to_numpy()[rows], C.LEVEL),
        "record_status": _codes(deleted.astype(np.int64), STATUS.to_pylist()),
    }
    return _sorted(prov_all[rows], months, e["seq"].to_numpy()[rows], _assemble("education", columns))


def cut_staff(h: Histories) -> TableCut:
    """One row per specialist and team leader in post each month."""
    s = h.staff
    months = s["month"].to_numpy().astype(np.int64)
    prov = s["prov"].to_numpy()
    ok = _in_window(h, prov, months)
    s, months, prov = s[ok], months[ok], prov[ok]
    person = s["person"].to_numpy()
    tenths = np.round(s["wte"].to_numpy() * 10).astype(np.int64)
    role = pd.Categorical(h.people["role"].to_numpy()[person], categories=C.ROLE).codes
    labels = np.array([timeline.month_label(mm) for mm in range(int(months.min()), int(months.max()) + 1)])
    columns = {
        "provider_code": _codes(prov, h.plan.table["provider_code"].to_numpy()),
        "employment_specialist_id": h.ids["staff"].take(pa.array(person)),
        "month": _codes(months - months.min(), labels),
        "wte": _decimal_text(tenths // 10, tenths % 10, 1, np.zeros(len(s), bool), drop_zero_fraction=False),
        "role": _codes(role, C.ROLE),
        "record_status": _codes(np.zeros(len(s), dtype=np.int64), STATUS.to_pylist()),
    }
    rank = h.people["staff_id"].rank(method="first").to_numpy().astype(np.int64)[person]
    return _sorted(prov, months, rank, _assemble("staff", columns))


def cut_finance(h: Histories) -> TableCut:
    """Every return carries the contract values of its financial year."""
    returns = _return_list(h)
    f = h.finance.assign(comp=pd.Categorical(h.finance["component"], categories=C.COMPONENT).codes)
    frame = returns.assign(fy=timeline.financial_year_of_month(returns["month"].to_numpy()))
    frame = frame.merge(f, on=["prov", "fy"], how="inner")
    prov = frame["prov"].to_numpy()
    months = frame["month"].to_numpy().astype(np.int64)
    columns = {
        "provider_code": _codes(prov, h.plan.table["provider_code"].to_numpy()),
        "financial_year": pc.cast(pa.array(frame["fy"].to_numpy()), pa.string()),
        "component": _codes(frame["comp"].to_numpy(), C.COMPONENT),
        "contract_value_gbp": pc.cast(pa.array(frame["value"].to_numpy().astype(np.int64)), pa.string()),
        "record_status": _codes(np.zeros(len(frame), dtype=np.int64), STATUS.to_pylist()),
    }
    return _sorted(prov, months, frame["comp"].to_numpy().astype(np.int64), _assemble("finance", columns))


def cut_fidelity(h: Histories) -> TableCut:
    """Fidelity reviews in the month they are dated."""
    f = h.fidelity
    prov = f["prov"].to_numpy()
    months = timeline.month_of(f["date"].to_numpy()).astype(np.int64)
    ok = _in_window(h, prov, months)
    f, prov, months = f[ok], prov[ok], months[ok]
    review_type = pd.Categorical(f["review_type"], categories=C.REVIEW_TYPE).codes
    columns = {
        "provider_code": _codes(prov, h.plan.table["provider_code"].to_numpy()),
        "review_id": pa.array(f["review_id"].tolist(), pa.string()),
        "review_date": _dates(f["date"].to_numpy()),
        "review_type": _codes(review_type, C.REVIEW_TYPE),
        **{f"item_{i:02d}": _ints(f[f"item_{i:02d}"].to_numpy()) for i in range(1, 26)},
        "record_status": _codes(np.zeros(len(f), dtype=np.int64), STATUS.to_pylist()),
    }
    return _sorted(
        prov, months, f["date"].to_numpy().astype(np.int64), _assemble("fidelity_reviews", columns)
    )


def cut_quality(h: Histories) -> TableCut:
    """Section C self-assessments in the month they are dated."""
    q = h.quality
    prov = q["prov"].to_numpy()
    months = timeline.month_of(q["date"].to_numpy()).astype(np.int64)
    ok = _in_window(h, prov, months)
    q, prov, months = q[ok], prov[ok], months[ok]
    scores = [
        c
        for c in TABLES_BY_NAME["quality_assessments"].column_names
        if c not in ("provider_code", "assessment_date", "record_status")
    ]
    columns = {
        "provider_code": _codes(prov, h.plan.table["provider_code"].to_numpy()),
        "assessment_date": _dates(q["date"].to_numpy()),
        **{c: _ints(q[c].to_numpy()) for c in scores},
        "record_status": _codes(np.zeros(len(q), dtype=np.int64), STATUS.to_pylist()),
    }
    return _sorted(
        prov, months, q["date"].to_numpy().astype(np.int64), _assemble("quality_assessments", columns)
    )


def _return_list(h: Histories) -> pd.DataFrame:
    """Every (provider, month) that delivers a return."""
    first = h.plan.table["first_return"].to_numpy()
    last = np.full(len(first), h.scale.months[-1])
    rows, months = _expand(first, last)
    return pd.DataFrame({"prov": rows, "month": months})


def cut_all(h: Histories) -> dict[str, TableCut]:
    """All eight tables, sorted for writing."""
    return {
        "referrals": cut_referrals(h),
        "contacts": cut_contacts(h),
        "jobs": cut_jobs(h),
        "education": cut_education(h),
        "staff": cut_staff(h),
        "finance": cut_finance(h),
        "fidelity_reviews": cut_fidelity(h),
        "quality_assessments": cut_quality(h),
    }


# --- writing ----------------------------------------------------------------------------------


def write_returns(h: Histories, cuts: dict[str, TableCut], out: Path) -> dict[str, object]:
    """Write every return under ``out/provider_returns``; return counts for the manifest."""
    folder = out / "provider_returns"
    folder.mkdir(parents=True, exist_ok=True)
    returns = _return_list(h)
    base = int(h.scale.months[0])
    keys = {name: cut.prov.astype(np.int64) * 10_000 + (cut.month - base) for name, cut in cuts.items()}
    codes = h.plan.table["provider_code"].to_numpy()
    xlsx_from = h.plan.table["xlsx_from"].to_numpy()
    kinds = {name: [c.kind for c in TABLES_BY_NAME[name].columns] for name in TABLE_ORDER}
    n_csv = n_xlsx = 0
    for p, mm in zip(returns["prov"].to_numpy(), returns["month"].to_numpy(), strict=True):
        key = int(p) * 10_000 + int(mm) - base
        stem = f"{codes[p]}_{timeline.month_label(int(mm))}"
        parts = {}
        for name in TABLE_ORDER:
            lo = int(np.searchsorted(keys[name], key, side="left"))
            hi = int(np.searchsorted(keys[name], key, side="right"))
            parts[name] = cuts[name].table.slice(lo, hi - lo)
        if mm >= xlsx_from[p]:
            sheets = [(name, parts[name], kinds[name]) for name in TABLE_ORDER]
            writers.write_table_xlsx(folder / f"{stem}.xlsx", sheets)
            n_xlsx += 1
        else:
            target = folder / stem
            target.mkdir(exist_ok=True)
            for name in TABLE_ORDER:
                writers.write_arrow_csv(target / f"{name}.csv", parts[name])
            n_csv += 1
    return {"returns": n_csv + n_xlsx, "csv_returns": n_csv, "xlsx_returns": n_xlsx}
