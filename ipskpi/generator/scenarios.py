"""Planted scenarios: hand-made referral histories that exercise every edge of the KPI rules.

They are planted in provider RX4 (in scope at both scales), with dates inside
both windows, on top of the random histories. Each one is listed in
MANIFEST.json with the keys that find it in the returns and a sentence on what
it shows; the unit tests check every one against the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ipskpi.generator import codes as C
from ipskpi.generator import lifecycle, timeline
from ipskpi.generator.reference import ProviderPlan
from ipskpi.generator.timeline import NEVER

PROVIDER = "RX4"
d = timeline.day
m = timeline.month


@dataclass
class Correction:
    """A value a return showed before month ``until`` (the corrected value is the true one)."""

    table: str  # referrals | jobs
    row: int  # row in that table's frame
    column: str  # frame column (vp, end, ...)
    shown: int
    until: int  # month number from which the true value is sent


@dataclass
class Planted:
    """What the scenarios add to the random histories, and how to describe them."""

    referrals: pd.DataFrame
    jobs: pd.DataFrame
    education: pd.DataFrame
    contacts: pd.DataFrame  # extra contacts: ref, date, type, deleted_month, tag
    corrections: list[Correction] = field(default_factory=list)
    resends: list[tuple[str, int, int]] = field(default_factory=list)  # (table, row, month)
    entries: list[dict[str, object]] = field(default_factory=list)


def plant(
    rng: np.random.Generator,
    plan: ProviderPlan,
    ref_offset: int,
    job_offset: int,
    edu_offset: int,
) -> Planted:
    """Build the scenario referrals; their rows start at ``ref_offset`` (jobs at ``job_offset``)."""
    codes_ = plan.table["provider_code"].tolist()
    if PROVIDER not in codes_:
        raise ValueError(f"planted scenarios need provider {PROVIDER} in scope")
    prov = codes_.index(PROVIDER)

    refs: list[dict[str, object]] = []
    spans: list[dict[str, object]] = []
    courses: list[dict[str, object]] = []
    contacts: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    corrections: list[Correction] = []
    resends: list[tuple[str, int, int]] = []

    def referral(
        name: str,
        rdate: str,
        vp: str | None,
        closure: str | None,
        reason: str | None,
        status: str = "02",
        **extra: object,
    ) -> int:
        row = ref_offset + len(refs)
        refs.append(
            {
                "name": name,
                "rdate": d(rdate),
                "vp": d(vp) if vp else NEVER,
                "closure": d(closure) if closure else NEVER,
                "reason": C.index(C.CLOSURE_REASON, reason) if reason else -1,
                "status": C.index(C.EMPLOYMENT_STATUS, status),
                **extra,
            }
        )
        return row

    def job(
        ref_row: int, start: str | int, end: str | int | None, retained: bool = False, **extra: object
    ) -> int:
        row = job_offset + len(spans)
        start_day = start if isinstance(start, int) else d(start)
        end_day = NEVER if end is None else (end if isinstance(end, int) else d(end))
        spans.append({"ref": ref_row, "start": start_day, "end": end_day, "retained": retained, **extra})
        return row

    def entry(name: str, what: str, **keys: object) -> None:
        entries.append({"name": name, "provider_code": PROVIDER, **keys, "what_it_shows": what})

    # Several jobs, a 41-day break between two of them, and a second job that is no new person.
    r = referral("break_41", "2024-04-08", "2024-04-15", "2025-11-28", "in_work")
    j1 = job(r, "2024-06-03", "2024-08-30")
    j2 = job(r, d("2024-08-30") + 42, "2025-02-28")
    j3 = job(r, "2025-05-06", None)
    entry("several_jobs_per_person", "one referral with three new jobs", referral_id=r, job_ids=[j1, j2, j3])
    entry(
        "job_break_41_days",
        "job 2 starts 42 days after job 1 ends: 41 days not in work, under 42, so the "
        "sustainment clock pauses",
        referral_id=r,
        job_ids=[j1, j2],
        days_not_in_work=41,
    )
    entry(
        "second_job_not_new_person",
        "a job start for a referral already in work before: counts in job_starts, not in people_into_work",
        referral_id=r,
        job_id=j2,
    )

    r = referral("break_42", "2024-04-10", "2024-04-22", "2025-06-30", "no_longer_wants_work")
    j1 = job(r, "2024-06-10", "2024-09-06")
    j2 = job(r, d("2024-09-06") + 43, "2025-03-14")
    entry(
        "job_break_42_days",
        "job 2 starts 43 days after job 1 ends: 42 days not in work, so the sustainment clock resets",
        referral_id=r,
        job_ids=[j1, j2],
        days_not_in_work=42,
    )

    r = referral("overlap", "2024-05-07", "2024-05-14", "2025-07-31", "in_work")
    j1 = job(r, "2024-07-01", "2025-01-31")
    j2 = job(r, "2024-10-01", None)
    entry(
        "overlapping_jobs",
        "two jobs held at once: each day in work counts once",
        referral_id=r,
        job_ids=[j1, j2],
    )
    entry(
        "open_job_at_as_of",
        "a job with no end date at the as-of date: it accrues days up to 2026-03-31 and no further",
        referral_id=r,
        job_id=j2,
    )

    r = referral("sust_fy2024", "2024-10-01", "2024-10-08", "2025-10-31", "other", status="04")
    j = job(r, "2024-12-31", "2025-09-30")
    entry(
        "sustained_13w_on_2025_03_31",
        "first job starts 2024-12-31 and runs on: day 91 in work is 2025-03-31, the last day of FY 2024",
        referral_id=r,
        job_id=j,
        sustainment_date_13w="2025-03-31",
    )
    r = referral("sust_fy2025", "2024-10-03", "2024-10-10", "2025-07-31", "in_work", status="04")
    j = job(r, "2025-01-01", None)
    entry(
        "sustained_13w_on_2025_04_01",
        "first job starts 2025-01-01: day 91 in work is 2025-04-01, the first day of FY 2025",
        referral_id=r,
        job_id=j,
        sustainment_date_13w="2025-04-01",
    )

    r = referral("worked_4_n", "2024-06-03", "2024-06-10", "2025-08-29", "disengaged")
    j_short = job(r, "2024-09-02", "2024-09-04", worked4=False)
    job(r, "2024-11-04", "2025-05-30")
    entry(
        "job_worked_4_hours_n",
        "a job that ended before 4 hours' paid work: not a job start",
        referral_id=r,
        job_id=j_short,
    )

    outcomes = (
        "same_job_same_employer",
        "different_job_same_employer",
        "same_job_different_employer",
        "different_job_different_employer",
        "not_in_work",
    )
    details = ("off_sick", "at_work_job_at_risk", "at_work_other", "off_sick", "at_work_job_at_risk")
    for i, (outcome, detail) in enumerate(zip(outcomes, details, strict=True)):
        rdate = d("2024-05-01") + 14 * i
        vp = rdate + 7
        r = referral(
            f"retained_{outcome}",
            timeline.iso(rdate),
            timeline.iso(vp),
            timeline.iso(rdate + 200),
            "became_unwell" if outcome == "not_in_work" else "in_work",
            status="01",
            detail=C.index(C.EMPLOYED_DETAIL, detail),
            retention=C.index(C.RETENTION, outcome),
        )
        ends = {
            "same_job_same_employer": None,
            "different_job_same_employer": vp + 60,
            "same_job_different_employer": vp + 90,
            "different_job_different_employer": vp + 50,
            "not_in_work": vp + 100,
        }
        end = ends[outcome]
        kept = job(r, rdate - 800, end, retained=True)
        new_jobs = []
        if outcome in ("different_job_same_employer", "same_job_different_employer"):
            new_jobs.append(job(r, int(end) + 1, None))
        elif outcome == "different_job_different_employer":
            new_jobs.append(job(r, int(end) + 30, None))
        entry(
            f"retention_{outcome}",
            f"client employed at referral ({detail}) with a retained job (is_retained_job = Y), "
            f"closed with retention_outcome {outcome}",
            referral_id=r,
            job_id=kept,
            employed_detail=detail,
            retention_outcome=outcome,
            new_job_ids=new_jobs,
        )

    for flag, rdate, start in (("Y", "2024-07-01", "2024-10-01"), ("N", "2024-07-15", "2024-11-01")):
        r = referral(f"self_employed_{flag}", rdate, timeline.iso(d(rdate) + 10), None, None)
        j = job(r, start, None, contract=C.SELF_EMPLOYED, hmrc=C.index(C.YN, flag), plan=C.index(C.YN, flag))
        entry(
            f"self_employed_hmrc_{flag.lower()}",
            f"a self-employed job start with hmrc_registered = {flag} and has_business_plan = {flag}",
            referral_id=r,
            job_id=j,
        )

    r_edu = referral("education", "2024-06-17", "2024-06-24", "2025-04-30", "other")
    e1 = edu_offset + len(courses)
    courses.append(
        {
            "ref": r_edu,
            "start": d("2024-09-09"),
            "setting": C.index(C.SETTING, "fe_college"),
            "level": C.index(C.LEVEL, "2"),
        }
    )
    courses.append(
        {
            "ref": r_edu,
            "start": d("2025-01-13"),
            "setting": C.index(C.SETTING, "recovery_college"),
            "level": C.index(C.LEVEL, "none"),
        }
    )
    entry(
        "education_starts",
        "two courses started while engaged (FE college level 2, then a recovery college course)",
        referral_id=r_edu,
        education_ids=[e1, e1 + 1],
    )

    for i, why in enumerate(C.REJECTION_REASON):
        r = referral(
            f"rejected_{why}",
            timeline.iso(d("2024-08-05") + 3 * i),
            None,
            None,
            None,
            accepted=False,
            rejection=i,
        )
        entry(
            f"rejected_{why}", f"a referral not accepted, rejection_reason {why}: never open", referral_id=r
        )

    r = referral("never_engaged", "2024-09-02", None, "2024-12-13", "disengaged")
    entry("accepted_never_engaged", "accepted but no vocational profile: open, never engaged", referral_id=r)

    r = referral("fy_carry", "2025-01-15", "2025-01-22", "2025-09-30", "moved_away")
    entry(
        "carried_across_financial_year",
        "received in FY 2024 and still open on 2025-04-01: carried over into FY 2025",
        referral_id=r,
    )

    r = referral("deleted_referral", "2024-09-10", None, None, None, quiet=True, deleted_month=m("2024-10"))
    entry(
        "deleted_referral",
        "sent active in the 2024-09 return, withdrawn with record_status = deleted in the 2024-10 return",
        referral_id=r,
        sent_month="2024-09",
        deleted_month="2024-10",
    )
    j = job(r_edu, "2024-11-05", None, deleted_month=m("2024-12"))
    entry(
        "deleted_job",
        "a job sent active in the 2024-11 return and deleted in the 2024-12 return",
        referral_id=r_edu,
        job_id=j,
        sent_month="2024-11",
        deleted_month="2024-12",
    )
    contacts.append(
        {
            "ref": r_edu,
            "date": d("2024-11-20"),
            "type": C.index(C.CONTACT_TYPE, "client_remote"),
            "deleted_month": m("2024-12"),
            "tag": 1,
        }
    )
    entry(
        "deleted_contact",
        "a contact sent active in the 2024-11 return and deleted in the 2024-12 return",
        referral_id=r_edu,
        contact_id="tag:1",
        sent_month="2024-11",
        deleted_month="2024-12",
    )

    r = referral("corrected_job_end", "2024-08-01", "2024-08-08", "2025-04-30", "disengaged")
    j = job(r, "2024-10-07", "2025-01-13")
    corrections.append(Correction("jobs", j, "end", d("2025-01-20"), m("2025-02")))
    resends.append(("jobs", j, m("2025-02")))
    entry(
        "corrected_job_end_date",
        "the 2025-01 return says the job ended 2025-01-20; the 2025-02 return corrects it to 2025-01-13",
        referral_id=r,
        job_id=j,
        first_value="2025-01-20",
        corrected_value="2025-01-13",
        corrected_in="2025-02",
    )

    r = referral("corrected_vp", "2024-05-01", "2024-05-13", "2025-02-28", "became_unwell")
    corrections.append(Correction("referrals", r, "vp", d("2024-05-20"), m("2024-07")))
    entry(
        "corrected_vocational_profile_date",
        "vocational_profile_date sent as 2024-05-20 in "
        "the 2024-05 and 2024-06 returns, corrected to 2024-05-13 from the 2024-07 return",
        referral_id=r,
        first_value="2024-05-20",
        corrected_value="2024-05-13",
        corrected_in="2024-07",
    )

    for days_before, name in (
        (27, "contact_27_days_before_month_end"),
        (28, "contact_28_days_before_month_end"),
    ):
        last = d("2025-06-30") - days_before
        r = referral(name, "2025-03-03", "2025-03-10", "2025-07-15", "disengaged", last_contact=last)
        inside = "inside" if days_before < 28 else "outside"
        entry(
            name,
            f"engaged and open on 2025-06-30 with its last client contact on "
            f"{timeline.iso(last)}, {days_before} days before: {inside} the 28-day "
            f"active-caseload window",
            referral_id=r,
            last_contact_date=timeline.iso(last),
            period_end="2025-06-30",
        )

    # Turn the lists into frames with the random tables' columns.
    k = len(refs)
    rdate = np.array([x["rdate"] for x in refs], dtype=np.int32)
    frame = lifecycle.demographics(rng, plan, np.full(k, prov, dtype=np.int32), rdate)
    frame["status"] = np.array([x["status"] for x in refs], dtype=np.int8)
    employed = frame["status"].to_numpy() == C.EMPLOYED
    frame["detail"] = np.array([x.get("detail", -1) for x in refs], dtype=np.int8)
    frame.loc[employed, "last_paid"] = C.index(C.LAST_PAID_WORK, "current")
    frame.loc[employed, "held12"] = C.index(C.YNU, "Y")
    frame.loc[~employed & (frame["last_paid"] == C.index(C.LAST_PAID_WORK, "current")), "last_paid"] = (
        C.index(C.LAST_PAID_WORK, "lt_6m")
    )
    frame["accepted"] = np.array([x.get("accepted", True) for x in refs])
    frame["rejection"] = np.array([x.get("rejection", -1) for x in refs], dtype=np.int8)
    frame["vp"] = np.array([x["vp"] for x in refs], dtype=np.int32)
    frame["closure"] = np.array([x["closure"] for x in refs], dtype=np.int32)
    frame["reason"] = np.array([x["reason"] for x in refs], dtype=np.int8)
    frame["retention"] = np.array([x.get("retention", -1) for x in refs], dtype=np.int8)
    frame["deleted_month"] = np.array([x.get("deleted_month", NEVER) for x in refs], dtype=np.int32)
    frame["quiet"] = np.array([x.get("quiet", False) for x in refs])
    frame["last_contact"] = np.array([x.get("last_contact", NEVER) for x in refs], dtype=np.int32)

    job_frame = pd.DataFrame(
        {
            "ref": [s["ref"] for s in spans],
            "start": [s["start"] for s in spans],
            "end": [s["end"] for s in spans],
            "retained": [s["retained"] for s in spans],
        }
    ).astype({"ref": np.int64, "start": np.int32, "end": np.int32, "retained": bool})
    job_frame = lifecycle.job_details(rng, job_frame)
    contract = job_frame["contract"].to_numpy().copy()
    contract[:] = C.index(C.CONTRACT_TYPE, "permanent")
    for i, s in enumerate(spans):
        if "contract" in s:
            contract[i] = s["contract"]
    job_frame["contract"] = contract.astype(np.int8)
    job_frame["worked4"] = [bool(s.get("worked4", True)) for s in spans]
    job_frame["hmrc"] = np.array([s.get("hmrc", -1) for s in spans], dtype=np.int8)
    job_frame["plan"] = np.array([s.get("plan", -1) for s in spans], dtype=np.int8)
    job_frame["deleted_month"] = np.array([s.get("deleted_month", NEVER) for s in spans], dtype=np.int32)
    pay = job_frame["pay"].to_numpy()
    job_frame["pay"] = np.where(pay == 0, 1144, pay)

    edu_frame = pd.DataFrame(courses).astype({"ref": np.int64, "start": np.int32})
    edu_frame["setting"] = edu_frame["setting"].astype(np.int8)
    edu_frame["level"] = edu_frame["level"].astype(np.int8)
    edu_frame["deleted_month"] = np.int32(NEVER)
    contact_frame = pd.DataFrame(contacts).astype(
        {"ref": np.int64, "date": np.int32, "type": np.int8, "deleted_month": np.int32, "tag": np.int32}
    )
    return Planted(frame, job_frame, edu_frame, contact_frame, corrections, resends, entries)
