"""Referrals as full life histories: arrival, intake profile, engagement, jobs, education, closure.

Everything is drawn for all referrals at once with numpy. A referral is a row
of day numbers and code indices (see ``codes``); a job or an education episode
points at its referral by row position (``ref``). The monthly returns are cut
from these histories later (``returns``), so what a return shows is always a
consistent snapshot of one true history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipskpi.generator import codes as C
from ipskpi.generator import timeline
from ipskpi.generator.reference import ProviderPlan, ScaleConfig
from ipskpi.generator.timeline import NEVER

AS_OF_DAY = timeline.day(timeline.AS_OF)


def _uniform_int(
    rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, n: int
) -> np.ndarray:
    """Whole numbers uniform on [low, high] (inclusive), element-wise."""
    low = np.asarray(low, dtype=np.int64)
    high = np.asarray(high, dtype=np.int64)
    return (low + np.floor(rng.random(n) * (high - low + 1))).astype(np.int64)


def arrivals(
    rng: np.random.Generator, plan: ProviderPlan, scale: ScaleConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Referral arrivals: (provider index, referral day), from each service start to the as-of date.

    Monthly counts are Poisson around the provider's rate, growing 7% a year,
    quieter in August and December. A service that starts inside the window
    gets its first referral ever on its start day.
    """
    t = plan.table
    n_prov = len(t)
    months = np.arange(scale.months[0] - scale.history_months, scale.months[-1] + 1)
    growth = 1.07 ** ((months - timeline.month("2024-04")) / 12.0)
    month_of_year = months % 12 + 1
    season = np.where(np.isin(month_of_year, (8, 12)), 0.85, 1.0)
    start_month = timeline.month_of(t["service_start"].to_numpy())
    lam = t["rate"].to_numpy()[:, None] * (growth * season)[None, :]
    lam = lam * (months[None, :] >= start_month[:, None])
    counts = rng.poisson(lam).ravel()
    prov = np.repeat(np.repeat(np.arange(n_prov), len(months)), counts)
    mon = np.repeat(np.tile(months, n_prov), counts)
    lo = np.maximum(timeline.month_start(mon), t["service_start"].to_numpy()[prov])
    hi = timeline.month_end(mon)
    rdate = _uniform_int(rng, lo, hi, len(prov))
    # Each new service's first referral arrives on its first day.
    new = np.flatnonzero(t["provider_code"].isin(list(scale.new_services)).to_numpy())
    prov = np.concatenate([prov, new])
    rdate = np.concatenate([rdate, t["service_start"].to_numpy()[new]])
    keep = rdate <= AS_OF_DAY
    return prov[keep].astype(np.int32), rdate[keep].astype(np.int32)


def demographics(
    rng: np.random.Generator, plan: ProviderPlan, prov: np.ndarray, rdate: np.ndarray
) -> pd.DataFrame:
    """The intake profile of each referral (everything known when it is received)."""
    n = len(prov)
    status = C.draw(
        rng,
        C.EMPLOYMENT_STATUS,
        {
            "01": 0.15,
            "02": 0.33,
            "03": 0.05,
            "04": 0.25,
            "05": 0.05,
            "06": 0.05,
            "07": 0.05,
            "08": 0.02,
            "ZZ": 0.05,
        },
        n,
    )
    employed = status == C.EMPLOYED
    detail = np.where(
        employed,
        C.draw(
            rng, C.EMPLOYED_DETAIL, {"off_sick": 0.35, "at_work_job_at_risk": 0.35, "at_work_other": 0.3}, n
        ),
        -1,
    ).astype(np.int8)
    last_paid = np.where(
        employed,
        C.index(C.LAST_PAID_WORK, "current"),
        C.draw(
            rng,
            C.LAST_PAID_WORK,
            {"lt_6m": 0.15, "6m_2y": 0.25, "2y_5y": 0.2, "gt_5y": 0.2, "never": 0.12, "unknown": 0.08},
            n,
        ),
    ).astype(np.int8)
    age = np.clip(np.round(rng.normal(38.0, 12.0, n)), 16, 72).astype(np.int16)
    young = rng.random(n) < 0.02
    age[young] = rng.integers(14, 18, int(young.sum()))
    old = rng.random(n) < 0.01
    age[old] = rng.integers(66, 80, int(old.sum()))
    team_pick = np.minimum(
        np.floor(rng.power(0.6, n) * plan.team_counts[prov]).astype(np.int64),
        plan.team_counts[prov] - 1,
    )
    team = plan.team_offsets[prov] + team_pick
    la = plan.catchment_offsets[prov] + np.floor(rng.random(n) * plan.catchment_counts[prov]).astype(np.int64)
    frame = pd.DataFrame(
        {
            "prov": prov.astype(np.int32),
            "rdate": rdate.astype(np.int32),
            "team": team,
            "source": C.draw(
                rng,
                C.REFERRAL_SOURCE,
                {
                    "secondary_mh_team": 0.6,
                    "primary_care": 0.12,
                    "self": 0.12,
                    "jobcentre": 0.08,
                    "other": 0.08,
                },
                n,
            ),
            "in_smh": C.draw(rng, C.YNU, {"Y": 0.8, "N": 0.15, "U": 0.05}, n),
            "age": age,
            "gender": C.draw(rng, C.GENDER, {"1": 0.5, "2": 0.46, "9": 0.01, "X": 0.03}, n),
            "ethnic": C.draw(
                rng,
                C.ETHNIC,
                {
                    "A": 0.68,
                    "B": 0.01,
                    "C": 0.04,
                    "D": 0.01,
                    "E": 0.01,
                    "F": 0.01,
                    "G": 0.01,
                    "H": 0.03,
                    "J": 0.03,
                    "K": 0.01,
                    "L": 0.02,
                    "M": 0.02,
                    "N": 0.03,
                    "P": 0.01,
                    "R": 0.005,
                    "S": 0.02,
                    "Z": 0.03,
                    "99": 0.025,
                },
                n,
            ),
            "qual": C.draw(
                rng,
                C.QUALIFICATION,
                {
                    "none": 0.15,
                    "level_1": 0.15,
                    "level_2": 0.25,
                    "level_3": 0.2,
                    "level_4_plus": 0.15,
                    "unknown": 0.1,
                },
                n,
            ),
            "status": status,
            "detail": detail,
            "last_paid": last_paid,
            "held12": np.where(
                employed,
                C.index(C.YNU, "Y"),
                C.draw(rng, C.YNU, {"Y": 0.5, "N": 0.38, "U": 0.12}, n),
            ).astype(np.int8),
            "benefit": C.draw(
                rng,
                C.BENEFIT,
                {
                    "esa": 0.15,
                    "incapacity_benefit": 0.03,
                    "uc_health": 0.25,
                    "uc_other": 0.2,
                    "other": 0.07,
                    "none": 0.2,
                    "unknown": 0.1,
                },
                n,
            ),
            "cp_emp": C.draw(rng, C.YNU, {"Y": 0.6, "N": 0.25, "U": 0.15}, n),
            "cp_ret": C.draw(rng, C.YNU, {"Y": 0.45, "N": 0.3, "U": 0.25}, n),
            "living": C.draw(
                rng,
                C.LIVING,
                {"settled": 0.7, "supported": 0.15, "homeless": 0.04, "other": 0.05, "unknown": 0.06},
                n,
            ),
            "la": la,
            "client": rng.integers(1, 2**62, n, dtype=np.int64),  # a person label
        }
    )
    return frame


def link_repeat_clients(rng: np.random.Generator, ref: pd.DataFrame) -> None:
    """Make about 8% of referrals a later referral of an earlier client of the same provider.

    ``ref`` must be sorted by provider then referral date; the repeat keeps the
    person's gender, ethnicity and (aged) age.
    """
    n = len(ref)
    prov = ref["prov"].to_numpy()
    first_of_provider = np.searchsorted(prov, prov, side="left")
    back = rng.integers(1, 400, n)
    earlier = np.maximum(np.arange(n) - back, first_of_provider)
    chosen = (rng.random(n) < 0.08) & (earlier < np.arange(n))
    src = earlier[chosen]
    for col in ("client", "gender", "ethnic"):
        values = ref[col].to_numpy().copy()
        values[chosen] = values[src]
        ref[col] = values
    age = ref["age"].to_numpy().copy()
    years = (ref["rdate"].to_numpy()[chosen] - ref["rdate"].to_numpy()[src]) // 365
    age[chosen] = np.minimum(age[src] + years, 100)
    ref["age"] = age


def _job_length(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days a job lasts (start to end inclusive): weeks, months or years."""
    kind = rng.choice(3, n, p=[0.25, 0.4, 0.35])
    lo = np.array([7, 90, 365])[kind]
    hi = np.array([90, 365, 1500])[kind]
    return _uniform_int(rng, lo, hi, n)


def life_histories(
    rng: np.random.Generator, plan: ProviderPlan, ref: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add acceptance, engagement, closure and retention to ``ref``; return (ref, job spans).

    Job spans have columns ref (row), start, end (NEVER while in work) and
    retained (the job held at referral).
    """
    n = len(ref)
    rdate = ref["rdate"].to_numpy().astype(np.int64)
    prov = ref["prov"].to_numpy()
    employed = ref["status"].to_numpy() == C.EMPLOYED

    accepted = rng.random(n) < 0.85
    rejection = np.where(
        accepted,
        -1,
        C.draw(
            rng,
            C.REJECTION_REASON,
            {
                "does_not_want_work": 0.3,
                "not_eligible": 0.2,
                "could_not_contact": 0.25,
                "referred_elsewhere": 0.15,
                "other": 0.1,
            },
            n,
        ),
    ).astype(np.int8)
    engaged = accepted & (rng.random(n) < 0.85)
    gap = np.where(
        rng.random(n) < 0.94,
        np.minimum(rng.geometric(1 / 12.0, n) - 1, 45),
        rng.integers(46, 121, n),
    )
    vp = np.where(engaged, rdate + gap, NEVER)

    closure = np.full(n, NEVER, dtype=np.int64)
    reason = np.full(n, -1, dtype=np.int8)
    retention = np.full(n, -1, dtype=np.int8)
    not_working = C.draw(rng, C.CLOSURE_REASON, C.NOT_WORKING_CLOSURE, n)

    # Accepted, never engaged: closed after a few weeks of trying.
    idle = accepted & ~engaged
    closure[idle] = rdate[idle] + rng.integers(20, 151, int(idle.sum()))
    reason[idle] = C.draw(
        rng,
        C.CLOSURE_REASON,
        {
            "disengaged": 0.5,
            "no_longer_wants_work": 0.2,
            "became_unwell": 0.1,
            "moved_away": 0.05,
            "transferred": 0.05,
            "other": 0.1,
        },
        int(idle.sum()),
    )
    outcome = C.draw(
        rng,
        C.RETENTION,
        {
            "same_job_same_employer": 0.45,
            "different_job_same_employer": 0.12,
            "same_job_different_employer": 0.06,
            "different_job_different_employer": 0.15,
            "not_in_work": 0.22,
        },
        n,
    )
    retention[idle & employed] = outcome[idle & employed]

    spans: list[pd.DataFrame] = []

    # Employed at referral: job retention support around the job held at referral.
    ret = np.flatnonzero(engaged & employed)
    k = len(ret)
    dur = rng.integers(60, 401, k)
    r_close = vp[ret] + dur
    r_out = outcome[ret]
    kept = np.isin(r_out, [C.index(C.RETENTION, "same_job_same_employer")])
    quick_swap = np.isin(
        r_out,
        [
            C.index(C.RETENTION, "different_job_same_employer"),
            C.index(C.RETENTION, "same_job_different_employer"),
        ],
    )
    slow_swap = r_out == C.index(C.RETENTION, "different_job_different_employer")
    r_end = np.where(
        kept,
        np.where(rng.random(k) < 0.75, NEVER, r_close + rng.integers(30, 900, k)),
        vp[ret] + np.floor(rng.uniform(0.15, 0.8, k) * dur).astype(np.int64),
    )
    r_end = np.maximum(r_end, vp[ret])
    r_start = rdate[ret] - rng.integers(60, 3000, k)
    new_start = np.where(quick_swap, r_end + 1, r_end + rng.integers(7, 61, k))
    has_new = quick_swap | slow_swap
    r_close = np.where(has_new, np.maximum(r_close, new_start + 14), r_close)
    new_end = np.where(rng.random(k) < 0.7, NEVER, new_start + _job_length(rng, k) - 1)
    closure[ret] = r_close
    reason[ret] = np.where(r_out == C.NOT_IN_WORK, not_working[ret], C.IN_WORK)
    retention[ret] = r_out
    spans.append(pd.DataFrame({"ref": ret, "start": r_start, "end": r_end, "retained": True}))
    spans.append(
        pd.DataFrame(
            {"ref": ret[has_new], "start": new_start[has_new], "end": new_end[has_new], "retained": False}
        )
    )

    # Out of work at referral: job search; some get one, two or three jobs.
    srch = np.flatnonzero(engaged & ~employed)
    k = len(srch)
    success = rng.random(k) < plan.table["job_rate"].to_numpy()[prov[srch]]
    t1 = vp[srch] + np.clip(np.round(rng.gamma(2.0, 55.0, k)), 3, 548).astype(np.int64)
    len1 = _job_length(rng, k)
    e1 = t1 + len1 - 1
    has2 = success & (rng.random(k) < 0.32)
    overlap = has2 & (rng.random(k) < 0.15)
    s2 = np.where(
        overlap,
        t1 + 7 + np.floor(rng.random(k) * np.maximum(len1 - 8, 1)).astype(np.int64),
        e1 + 1 + rng.integers(0, 181, k),
    )
    e2 = s2 + _job_length(rng, k) - 1
    has3 = has2 & (rng.random(k) < 0.3)
    s3 = np.maximum(e2, e1) + 1 + rng.integers(0, 181, k)
    e3 = s3 + _job_length(rng, k) - 1
    last_start = np.where(has3, s3, np.where(has2, np.maximum(s2, t1), t1))
    s_close = np.where(
        success,
        last_start + rng.integers(45, 241, k),
        vp[srch] + rng.integers(45, 451, k),
    )
    in_work = success & (
        ((t1 <= s_close) & (e1 >= s_close))
        | (has2 & (s2 <= s_close) & (e2 >= s_close))
        | (has3 & (s3 <= s_close) & (e3 >= s_close))
    )
    closure[srch] = s_close
    reason[srch] = np.where(in_work, C.IN_WORK, not_working[srch])
    for mask, start, end in ((success, t1, e1), (has2, s2, e2), (has3, s3, e3)):
        spans.append(
            pd.DataFrame({"ref": srch[mask], "start": start[mask], "end": end[mask], "retained": False})
        )

    # Nothing after the as-of date is known yet.
    still_open = closure > AS_OF_DAY
    closure[still_open] = NEVER
    reason[still_open] = -1
    retention[still_open] = -1

    ref["accepted"] = accepted
    ref["rejection"] = rejection
    ref["vp"] = vp.astype(np.int32)
    ref["closure"] = closure.astype(np.int32)
    ref["reason"] = reason
    ref["retention"] = retention
    ref["deleted_month"] = np.int32(NEVER)

    jobs = pd.concat(spans, ignore_index=True)
    jobs = jobs[jobs["start"] <= AS_OF_DAY].reset_index(drop=True)
    jobs["end"] = np.where(jobs["end"] > AS_OF_DAY, NEVER, jobs["end"]).astype(np.int32)
    jobs["start"] = jobs["start"].astype(np.int32)
    return ref, jobs


def job_details(rng: np.random.Generator, jobs: pd.DataFrame) -> pd.DataFrame:
    """Hours, contract, sector, pay, evidence and self-employment facts for each job span."""
    n = len(jobs)
    retained = jobs["retained"].to_numpy()
    start = jobs["start"].to_numpy()
    contract = np.where(
        retained,
        C.draw(
            rng,
            C.CONTRACT_TYPE,
            {"permanent": 0.75, "temporary": 0.05, "casual": 0.05, "zero_hours": 0.1, "self_employed": 0.05},
            n,
        ),
        C.draw(
            rng,
            C.CONTRACT_TYPE,
            {"permanent": 0.42, "temporary": 0.12, "casual": 0.1, "zero_hours": 0.26, "self_employed": 0.1},
            n,
        ),
    ).astype(np.int8)
    band = rng.choice(4, n, p=[0.08, 0.35, 0.52, 0.05])
    half_hours = _uniform_int(rng, np.array([2, 10, 33, 81])[band], np.array([9, 32, 80, 110])[band], n)
    wage_from = np.array([timeline.day(d) for d, _ in C.MINIMUM_WAGE_FROM])
    wage = np.array([p for _, p in C.MINIMUM_WAGE_FROM])
    in_force = wage[np.clip(np.searchsorted(wage_from, start, side="right") - 1, 0, len(wage) - 1)]
    premium = np.abs(rng.normal(0.08, 0.15, n))
    pay = np.round(in_force * (1.0 + premium)).astype(np.int64)
    below = rng.random(n) < 0.05
    pay[below] = in_force[below] - rng.integers(10, 151, int(below.sum()))
    self_emp = contract == C.SELF_EMPLOYED
    pay[self_emp & (rng.random(n) < 0.4)] = 0  # 0 = not known
    early = start < timeline.day("2022-12-31")
    placement = rng.random(n) < np.where(early, 0.12, 0.04)
    yn_y, yn_n = C.index(C.YN, "Y"), C.index(C.YN, "N")
    return jobs.assign(
        worked4=retained | (rng.random(n) < 0.97),
        half_hours=half_hours,
        contract=contract,
        placement=placement & ~retained,
        sector=C.draw(
            rng,
            C.SECTOR,
            {
                "A": 0.01,
                "B": 0.002,
                "C": 0.06,
                "D": 0.005,
                "E": 0.01,
                "F": 0.05,
                "G": 0.2,
                "H": 0.06,
                "I": 0.16,
                "J": 0.03,
                "K": 0.02,
                "L": 0.01,
                "M": 0.03,
                "N": 0.12,
                "O": 0.03,
                "P": 0.05,
                "Q": 0.1,
                "R": 0.03,
                "S": 0.03,
                "T": 0.005,
                "U": 0.003,
            },
            n,
        ),
        pay=pay,
        evidence=np.where(
            self_emp,
            C.draw(rng, C.EVIDENCE, {"self_report": 0.6, "timesheet": 0.2, "payslip": 0.2}, n),
            C.draw(
                rng,
                C.EVIDENCE,
                {
                    "payslip": 0.4,
                    "offer_letter": 0.15,
                    "timesheet": 0.1,
                    "employer_confirmation": 0.2,
                    "self_report": 0.15,
                },
                n,
            ),
        ).astype(np.int8),
        hmrc=np.where(self_emp, np.where(rng.random(n) < 0.7, yn_y, yn_n), -1).astype(np.int8),
        plan=np.where(self_emp, np.where(rng.random(n) < 0.6, yn_y, yn_n), -1).astype(np.int8),
        deleted_month=np.int32(NEVER),
    )


def education(rng: np.random.Generator, ref: pd.DataFrame) -> pd.DataFrame:
    """Courses started while engaged: about one engaged referral in eight, a few take two."""
    vp = ref["vp"].to_numpy().astype(np.int64)
    end = np.minimum(ref["closure"].to_numpy().astype(np.int64), AS_OF_DAY)
    engaged = np.flatnonzero((vp < NEVER) & (rng.random(len(ref)) < 0.12))
    first = vp[engaged] + rng.integers(7, 301, len(engaged))
    second = first + rng.integers(60, 301, len(engaged))
    two = rng.random(len(engaged)) < 0.2
    refs = np.concatenate([engaged, engaged[two]])
    start = np.concatenate([first, second[two]])
    keep = start <= end[refs]
    refs, start = refs[keep], start[keep]
    n = len(refs)
    return pd.DataFrame(
        {
            "ref": refs,
            "start": start.astype(np.int32),
            "setting": C.draw(
                rng,
                C.SETTING,
                {
                    "fe_college": 0.3,
                    "university": 0.08,
                    "training": 0.25,
                    "recovery_college": 0.17,
                    "volunteering": 0.15,
                    "other": 0.05,
                },
                n,
            ),
            "level": C.draw(
                rng,
                C.LEVEL,
                {
                    "1": 0.2,
                    "2": 0.25,
                    "3": 0.18,
                    "4": 0.06,
                    "5": 0.04,
                    "6": 0.05,
                    "7": 0.015,
                    "8": 0.005,
                    "none": 0.2,
                },
                n,
            ),
            "deleted_month": np.int32(NEVER),
        }
    )


def cover_intake_codes(rng: np.random.Generator, plan: ProviderPlan, ref: pd.DataFrame, since: int) -> None:
    """Make every intake code occur among referrals received from day ``since`` (see ensure_all)."""
    recent = (ref["rdate"].to_numpy() >= since) & (ref["rdate"].to_numpy() <= AS_OF_DAY)
    employed = ref["status"].to_numpy() == C.EMPLOYED
    full = {
        "source": C.REFERRAL_SOURCE,
        "in_smh": C.YNU,
        "gender": C.GENDER,
        "ethnic": C.ETHNIC,
        "qual": C.QUALIFICATION,
        "benefit": C.BENEFIT,
        "cp_emp": C.YNU,
        "cp_ret": C.YNU,
        "living": C.LIVING,
    }
    for column, code_list in full.items():
        ref[column] = C.ensure_all(rng, ref[column].to_numpy(), range(len(code_list)), recent)
    not_employed = [i for i in range(len(C.EMPLOYMENT_STATUS)) if i != C.EMPLOYED]
    ref["status"] = C.ensure_all(rng, ref["status"].to_numpy(), not_employed, recent & ~employed)
    ref["held12"] = C.ensure_all(rng, ref["held12"].to_numpy(), range(len(C.YNU)), recent & ~employed)
    ref["detail"] = C.ensure_all(
        rng, ref["detail"].to_numpy(), range(len(C.EMPLOYED_DETAIL)), recent & employed
    )
    current = C.index(C.LAST_PAID_WORK, "current")
    others = [i for i in range(len(C.LAST_PAID_WORK)) if i != current]
    ref["last_paid"] = C.ensure_all(rng, ref["last_paid"].to_numpy(), others, recent & ~employed)
    # Team types: move a referral to a team of each missing type in its own provider.
    team = ref["team"].to_numpy().copy()
    prov = ref["prov"].to_numpy()
    for kind in range(len(C.TEAM_TYPE)):
        if np.any(recent & (plan.team_types[team] == kind)):
            continue
        pick = rng.choice(np.flatnonzero(recent))
        offset, count = plan.team_offsets[prov[pick]], plan.team_counts[prov[pick]]
        candidates = np.flatnonzero(plan.team_types[offset : offset + count] == kind)
        if len(candidates):
            team[pick] = offset + candidates[0]
    ref["team"] = team


def cover_outcome_codes(
    rng: np.random.Generator, ref: pd.DataFrame, jobs: pd.DataFrame, edu: pd.DataFrame, since: int
) -> None:
    """Make every rejection and closure reason, job and course code occur from day ``since``."""
    rdate = ref["rdate"].to_numpy()
    rejected = (rdate >= since) & ~ref["accepted"].to_numpy()
    ref["rejection"] = C.ensure_all(
        rng, ref["rejection"].to_numpy(), range(len(C.REJECTION_REASON)), rejected
    )
    reason = ref["reason"].to_numpy()
    not_working = [C.index(C.CLOSURE_REASON, r) for r in C.NOT_WORKING_CLOSURE]
    closed = (ref["closure"].to_numpy() >= since) & np.isin(reason, not_working)
    ref["reason"] = C.ensure_all(rng, reason, not_working, closed)
    new_jobs = (jobs["start"].to_numpy() >= since) & ~jobs["retained"].to_numpy()
    salaried = [i for i in range(len(C.CONTRACT_TYPE)) if i != C.SELF_EMPLOYED]
    salaried_rows = new_jobs & (jobs["contract"].to_numpy() != C.SELF_EMPLOYED)
    jobs["contract"] = C.ensure_all(rng, jobs["contract"].to_numpy(), salaried, salaried_rows)
    jobs["sector"] = C.ensure_all(rng, jobs["sector"].to_numpy(), range(len(C.SECTOR)), new_jobs)
    jobs["evidence"] = C.ensure_all(rng, jobs["evidence"].to_numpy(), range(len(C.EVIDENCE)), new_jobs)
    courses = edu["start"].to_numpy() >= since
    edu["setting"] = C.ensure_all(rng, edu["setting"].to_numpy(), range(len(C.SETTING)), courses)
    edu["level"] = C.ensure_all(rng, edu["level"].to_numpy(), range(len(C.LEVEL)), courses)
