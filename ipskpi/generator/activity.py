"""The service around the referrals: staff, contacts, finance, fidelity reviews, quality assessments.

Staff are modelled as posts ("slots") per provider: the number of posts a
month follows the open engaged caseload over the provider's target caseload
per specialist; a post is held by a sequence of people (turnover, short
vacancies, occasional changes of hours). Each referral is allocated to a post,
so its contacts carry the pseudonymised id of whoever holds that post on the
day, as a real case-management export would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipskpi.generator import codes as C
from ipskpi.generator import timeline
from ipskpi.generator.lifecycle import AS_OF_DAY
from ipskpi.generator.reference import FIDELITY_BANDS, ProviderPlan, ScaleConfig
from ipskpi.generator.timeline import NEVER

HEX = np.array(list("0123456789ABCDEF"))


def hex_ids(rng: np.random.Generator, prefix: str, n: int, digits: int = 8) -> np.ndarray:
    """``n`` distinct pseudonymous ids such as ``ES3F09A1C2`` (vectorised, no names)."""
    values = rng.choice(16**digits, size=n, replace=False) if n else np.zeros(0, dtype=np.int64)
    return hex_strings(prefix, np.asarray(values, dtype=np.int64), digits)


def hex_strings(prefix: str, values: np.ndarray, digits: int) -> np.ndarray:
    """Fixed-width upper-case hex text of non-negative integers, with a prefix."""
    shifts = np.arange(digits - 1, -1, -1, dtype=np.int64) * 4
    nibbles = (values[:, None] >> shifts[None, :]) & 0xF
    chars = HEX[nibbles]
    joined = chars.view(f"<U{digits}").ravel() if len(values) else np.array([], dtype=f"<U{digits}")
    return np.char.add(prefix, joined).astype(object)


@dataclass
class Roster:
    """Who works where, month by month (window months only)."""

    months: np.ndarray  # month numbers of the window
    n_posts: np.ndarray  # (providers, months): posts in use
    post_offset: np.ndarray  # first global post of each provider
    holder: np.ndarray  # (global posts, months): person index or -1 (vacant)
    people: pd.DataFrame  # prov, staff_id, role, wte, wte_after, change_month
    team_leader: np.ndarray  # person index of each provider's team leader


def open_caseload(plan: ProviderPlan, scale: ScaleConfig, ref: pd.DataFrame) -> np.ndarray:
    """Engaged referrals open in each window month, per provider (providers x months)."""
    months = scale.months
    n_m = len(months)
    vp = ref["vp"].to_numpy().astype(np.int64)
    end = np.minimum(ref["closure"].to_numpy().astype(np.int64), AS_OF_DAY)
    engaged = vp < NEVER
    first = np.clip(timeline.month_of(vp) - months[0], 0, n_m)
    last = np.clip(timeline.month_of(end) - months[0], -1, n_m - 1)
    ok = engaged & (last >= first)
    diff = np.zeros((len(plan.table), n_m + 1))
    prov = ref["prov"].to_numpy()
    np.add.at(diff, (prov[ok], first[ok]), 1)
    np.add.at(diff, (prov[ok], last[ok] + 1), -1)
    return np.cumsum(diff[:, :n_m], axis=1)


def staff_roster(
    rng: np.random.Generator, plan: ProviderPlan, scale: ScaleConfig, ref: pd.DataFrame
) -> Roster:
    """Posts, their holders and hours, and one team leader per provider."""
    t = plan.table
    months = scale.months
    n_m = len(months)
    caseload = open_caseload(plan, scale, ref)
    target = t["caseload_target"].to_numpy()[:, None] * 0.85
    n_posts = np.maximum(1, np.round(caseload / target + 0.3)).astype(np.int64)
    n_posts[months[None, :] < t["first_return"].to_numpy()[:, None]] = 0
    max_posts = np.maximum(n_posts.max(axis=1), 1)
    post_offset = np.concatenate([[0], np.cumsum(max_posts)[:-1]]).astype(np.int64)
    holder = np.full((int(max_posts.sum()), n_m), -1, dtype=np.int64)

    wte_choices = np.array([1.0, 0.8, 0.6, 0.5])
    people: list[tuple[int, str, float, float, int]] = []  # prov, role, wte, wte_after, change
    scenario_change = timeline.month("2025-01") - months[0]
    for p, code in enumerate(t["provider_code"]):
        for s in range(int(max_posts[p])):
            g = post_offset[p] + s
            pos = -int(rng.integers(0, 36))  # the first holder may have started before the window
            while pos < n_m:
                tenure = int(rng.integers(10, 49))
                wte = float(rng.choice(wte_choices, p=[0.55, 0.2, 0.15, 0.1]))
                change = int(rng.integers(pos + 1, pos + tenure)) if rng.random() < 0.15 else NEVER
                after = float(rng.choice(wte_choices)) if change != NEVER else wte
                if code == "RX4" and s == 0 and pos <= 0:
                    # Planted: a full-time specialist who drops to 0.8 WTE from 2025-01.
                    tenure, wte, after, change = n_m - pos, 1.0, 0.8, scenario_change
                person = len(people)
                people.append((p, "employment_specialist", wte, after, change))
                holder[g, max(pos, 0) : min(pos + tenure, n_m)] = person
                pos += tenure + int(rng.choice(3, p=[0.65, 0.25, 0.1]))
    leaders = []
    for p, kind in enumerate(t["provider_type"]):
        leaders.append(len(people))
        people.append((p, "team_leader", 1.0 if kind == "nhs" else 0.6, 1.0 if kind == "nhs" else 0.6, NEVER))
    frame = pd.DataFrame(people, columns=["prov", "role", "wte", "wte_after", "change_month"])
    frame["staff_id"] = hex_ids(rng, "ES", len(frame))
    return Roster(months, n_posts, post_offset, holder, frame, np.array(leaders, dtype=np.int64))


def staff_rows(roster: Roster) -> pd.DataFrame:
    """One row per person in post per month: prov, month, person, wte."""
    people = roster.people
    post_prov = np.repeat(
        np.arange(len(roster.post_offset)), np.diff(np.append(roster.post_offset, roster.holder.shape[0]))
    )
    rank = np.arange(roster.holder.shape[0]) - roster.post_offset[post_prov]
    in_use = rank[:, None] < roster.n_posts[post_prov, :]
    g, mi = np.nonzero((roster.holder >= 0) & in_use)
    person = roster.holder[g, mi]
    # Team leaders: every month the provider has any post in use.
    p_tl, m_tl = np.nonzero(roster.n_posts > 0)
    person = np.concatenate([person, roster.team_leader[p_tl]])
    mi = np.concatenate([mi, m_tl])
    prov = people["prov"].to_numpy()[person]
    changed = mi >= people["change_month"].to_numpy()[person]
    wte = np.where(changed, people["wte_after"].to_numpy()[person], people["wte"].to_numpy()[person])
    return pd.DataFrame({"prov": prov, "month": roster.months[mi], "person": person, "wte": wte})


def _es_for(roster: Roster, prov: np.ndarray, post_rank: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The person who holds a referral's post on each day (its team leader when vacant)."""
    n_m = len(roster.months)
    mi = np.clip(timeline.month_of(days) - roster.months[0], 0, n_m - 1)
    max_rank = np.diff(np.append(roster.post_offset, roster.holder.shape[0]))[prov]
    rank = np.minimum(post_rank, max_rank - 1)
    g = roster.post_offset[prov] + rank
    person = roster.holder[g, mi]
    active = (rank < roster.n_posts[prov, mi]) & (person >= 0)
    first_post = roster.holder[roster.post_offset[prov], mi]
    fallback = np.where(first_post >= 0, first_post, roster.team_leader[prov])
    return np.where(active, person, fallback)


def contacts(
    rng: np.random.Generator, plan: ProviderPlan, roster: Roster, ref: pd.DataFrame, extra: pd.DataFrame
) -> pd.DataFrame:
    """Every contact inside the window: ref, date, type, competitive (-1/0/1), person, tags.

    Engaged clients are seen every one to three weeks (face to face or remote)
    from their vocational profile until closure; clients who drift away stop
    being seen a month or two before a 'disengaged' closure. Employer contacts
    start a few weeks after engagement, clinical-team and jobcentre contacts
    are occasional, and accepted clients who never engage get a call or two.
    """
    n = len(ref)
    prov = ref["prov"].to_numpy()
    rdate = ref["rdate"].to_numpy().astype(np.int64)
    vp = ref["vp"].to_numpy().astype(np.int64)
    closure = ref["closure"].to_numpy().astype(np.int64)
    quiet = ref["quiet"].to_numpy()
    window_lo = timeline.month_start(plan.table["first_return"].to_numpy())[prov].astype(np.int64)
    end = np.minimum(closure, AS_OF_DAY)
    engaged = (vp < NEVER) & ~quiet
    lo = np.maximum(vp, window_lo)
    ok = engaged & (end >= lo)
    disengaged = ref["reason"].to_numpy() == C.index(C.CLOSURE_REASON, "disengaged")
    client_end = np.where(disengaged & (closure < NEVER), end - rng.integers(30, 61, n), end)

    parts: list[pd.DataFrame] = []
    ftf, remote = C.index(C.CONTACT_TYPE, "client_face_to_face"), C.index(C.CONTACT_TYPE, "client_remote")

    # Client contacts on a regular rhythm.
    interval = rng.choice(np.array([7, 14, 21, 28]), n, p=[0.1, 0.25, 0.4, 0.25])
    phase = rng.integers(0, 7, n)
    base = vp + phase
    k_lo = np.ceil((lo - base) / interval).astype(np.int64)
    k_hi = np.floor((client_end - base) / interval).astype(np.int64)
    count = np.where(ok, np.maximum(k_hi - k_lo + 1, 0), 0)
    rows = np.repeat(np.arange(n), count)
    k = k_lo[rows] + (np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count))
    day = base[rows] + k * interval[rows] + rng.integers(-2, 3, len(rows))
    day = np.clip(day, lo[rows], client_end[rows])
    parts.append(
        pd.DataFrame({"ref": rows, "date": day, "type": np.where(rng.random(len(rows)) < 0.65, ftf, remote)})
    )
    # The vocational profile itself is a face-to-face meeting.
    first = np.flatnonzero(engaged & (vp >= window_lo) & (vp <= AS_OF_DAY))
    parts.append(pd.DataFrame({"ref": first, "date": vp[first], "type": ftf}))

    # Employer contacts: the first soon after engagement, then about monthly.
    wants_work = ref["status"].to_numpy() != C.EMPLOYED
    employer_work = engaged & (wants_work | (rng.random(n) < 0.4))
    first_emp = vp + rng.geometric(1 / 24.0, n) - 1
    e_ok = employer_work & (first_emp >= lo) & (first_emp <= end)
    idx = np.flatnonzero(e_ok)
    emp_ftf = C.index(C.CONTACT_TYPE, "employer_face_to_face")
    emp_remote = C.index(C.CONTACT_TYPE, "employer_remote")
    parts.append(pd.DataFrame({"ref": idx, "date": first_emp[idx], "type": emp_ftf, "competitive": 1}))
    start_more = np.maximum(first_emp, lo)
    span = np.where(employer_work & (end >= start_more), end - start_more + 1, 0)
    more = rng.poisson(span / 70.0)
    rows = np.repeat(np.arange(n), more)
    day = start_more[rows] + np.floor(rng.random(len(rows)) * span[rows]).astype(np.int64)
    parts.append(
        pd.DataFrame(
            {
                "ref": rows,
                "date": day,
                "type": np.where(rng.random(len(rows)) < 0.65, emp_ftf, emp_remote),
                "competitive": np.where(rng.random(len(rows)) < 0.85, 1, 0),
            }
        )
    )

    # Clinical team and jobcentre liaison.
    span = np.where(ok, end - lo + 1, 0)
    for kind, every in (("clinical_team", 150.0), ("jobcentre", 365.0)):
        count = rng.poisson(span / every)
        rows = np.repeat(np.arange(n), count)
        day = lo[rows] + np.floor(rng.random(len(rows)) * span[rows]).astype(np.int64)
        parts.append(pd.DataFrame({"ref": rows, "date": day, "type": C.index(C.CONTACT_TYPE, kind)}))

    # Accepted but never engaged: one or two calls.
    idle = ref["accepted"].to_numpy() & (vp >= NEVER) & ~quiet
    i_lo = np.maximum(rdate, window_lo)
    i_span = np.where(idle & (end >= i_lo), end - i_lo + 1, 0)
    count = np.where(i_span > 0, rng.integers(1, 3, n), 0)
    rows = np.repeat(np.arange(n), count)
    day = i_lo[rows] + np.floor(rng.random(len(rows)) * i_span[rows]).astype(np.int64)
    parts.append(pd.DataFrame({"ref": rows, "date": day, "type": remote}))

    frame = pd.concat(parts, ignore_index=True)
    frame["competitive"] = frame["competitive"].fillna(-1)

    # Planted: last client contact exactly on a given day, nothing after it.
    anchor = ref["last_contact"].to_numpy().astype(np.int64)
    cut = anchor[frame["ref"].to_numpy()] < frame["date"].to_numpy()
    frame = frame[~cut]
    anchored = np.flatnonzero(anchor < NEVER)
    frame = pd.concat(
        [frame, pd.DataFrame({"ref": anchored, "date": anchor[anchored], "type": ftf, "competitive": -1})],
        ignore_index=True,
    )
    frame["deleted_month"] = np.int32(NEVER)
    frame["tag"] = np.int32(-1)
    extra = extra.assign(competitive=np.int8(-1))
    frame = pd.concat([frame, extra], ignore_index=True)
    frame = frame.astype(
        {
            "ref": np.int64,
            "date": np.int32,
            "type": np.int8,
            "competitive": np.int8,
            "deleted_month": np.int32,
            "tag": np.int32,
        }
    )

    # Who made each contact: the holder of the referral's post on the day.
    post_rank = np.floor(rng.random(n) * 64).astype(np.int64)
    n_m = len(roster.months)
    alloc_m = np.clip(
        timeline.month_of(np.minimum(np.where(vp < NEVER, vp, rdate), AS_OF_DAY)) - roster.months[0],
        0,
        n_m - 1,
    )
    posts_then = np.maximum(roster.n_posts[prov, alloc_m], 1)
    post_rank = post_rank % posts_then
    r = frame["ref"].to_numpy()
    frame["person"] = _es_for(roster, prov[r], post_rank[r], frame["date"].to_numpy())
    return frame.reset_index(drop=True)


def finance(
    rng: np.random.Generator, plan: ProviderPlan, scale: ScaleConfig, staff: pd.DataFrame
) -> pd.DataFrame:
    """Contract values per provider, financial year and service component."""
    t = plan.table
    staff = staff.assign(fy=timeline.financial_year_of_month(staff["month"].to_numpy()))
    mean_wte = staff.groupby(["prov", "fy", "month"])["wte"].sum().groupby(["prov", "fy"]).mean()
    fixed = {
        "RX4": ("employment_preparation", "self_employment_support"),
        "TAF": ("sheltered_work",),
        "NQV01": ("employment_preparation",),
    }
    extras = {}
    for p, code in enumerate(t["provider_code"]):
        chosen = [
            c
            for c, share in (
                ("employment_preparation", 0.3),
                ("self_employment_support", 0.2),
                ("sheltered_work", 0.1),
            )
            if rng.random() < share
        ]
        extras[p] = tuple(sorted(set(chosen) | set(fixed.get(code, ()))))
    rows = []
    for (p, fy), wte in mean_wte.items():
        rows.append((p, fy, "ips", round(wte * 46_000 * rng.uniform(0.9, 1.25), -2)))
        for comp in extras[int(p)]:
            rows.append((p, fy, comp, round(rng.uniform(20_000, 150_000), -2)))
    return pd.DataFrame(rows, columns=["prov", "fy", "component", "value"])


def fidelity_reviews(rng: np.random.Generator, plan: ProviderPlan, scale: ScaleConfig) -> pd.DataFrame:
    """About one review a year per provider, external and self in turn, totals in the provider's band."""
    t = plan.table
    bands = list(FIDELITY_BANDS)
    rows = []
    for p, (code, band, first) in enumerate(
        zip(t["provider_code"], t["band"], t["first_return"], strict=True)
    ):
        kind = int(rng.integers(0, 2))
        level = bands.index(band)
        start_day = max(int(timeline.month_start(first)), int(t["service_start"].iloc[p]) + 150)
        for fy in scale.financial_years:
            when = timeline.day(f"{fy}-04-01") + int(rng.integers(60, 300))
            if when < start_day or when > AS_OF_DAY:
                continue
            if code == "NQV02" and fy >= 2025:
                level = bands.index("fair")  # the new service improves in its second year
            lo, hi = FIDELITY_BANDS[bands[level]]
            total = int(rng.integers(lo, hi + 1))
            q, r = divmod(total, 25)
            items = np.array([q + 1] * r + [q] * (25 - r))
            rng.shuffle(items)
            rows.append((p, f"FR{fy}01", when, C.REVIEW_TYPE[kind], *items))
            kind = 1 - kind
    cols = ["prov", "review_id", "date", "review_type"] + [f"item_{i:02d}" for i in range(1, 26)]
    return pd.DataFrame(rows, columns=cols)


def quality_assessments(rng: np.random.Generator, plan: ProviderPlan, scale: ScaleConfig) -> pd.DataFrame:
    """The yearly section C self-assessment: scores follow the provider's fidelity band."""
    t = plan.table
    bands = list(FIDELITY_BANDS)
    rows = []
    for p, (band, first) in enumerate(zip(t["band"], t["first_return"], strict=True)):
        level = bands.index(band)  # 0 exemplary .. 3 not_ips
        start_day = max(int(timeline.month_start(first)), int(t["service_start"].iloc[p]) + 90)
        for fy in scale.financial_years:
            when = timeline.day(f"{fy}-04-01") + int(rng.integers(30, 200))
            if when < start_day or when > AS_OF_DAY:
                continue
            scores = np.clip(rng.integers(4 - level, 6 - level, 6), 1, 5)
            audits = np.clip(rng.integers(3 - level, 4 - level + 1, 2), 0, 3)
            rows.append((p, when, *scores, *audits))
    cols = [
        "prov",
        "date",
        "paid_work_focus",
        "client_preference",
        "rapid_job_search",
        "benefits_advice",
        "mh_team_integration",
        "jobcentre_relationship",
        "fidelity_audit",
        "client_feedback_audit",
    ]
    return pd.DataFrame(rows, columns=cols)
