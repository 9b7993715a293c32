"""Code lists (from the contract) and the distributions the generator draws them from.

Every coded column is stored as an index into its contract code tuple, so the
simulation works on small integers and the writers turn indices into text once.
"""

from __future__ import annotations

import numpy as np

from ipskpi.contract import TABLES_BY_NAME


def codes(table: str, column: str) -> tuple[str, ...]:
    """The contract's code list for one column."""
    found = TABLES_BY_NAME[table].column(column).codes
    assert found is not None, f"{table}.{column} has no code list"
    return found


def probabilities(code_list: tuple[str, ...], weights: dict[str, float]) -> np.ndarray:
    """Weights by code name -> a probability vector in the contract's code order."""
    unknown = set(weights) - set(code_list)
    assert not unknown, f"codes not in the contract: {unknown}"
    p = np.array([weights.get(c, 0.0) for c in code_list], dtype=np.float64)
    return p / p.sum()


def draw(
    rng: np.random.Generator, code_list: tuple[str, ...], weights: dict[str, float], n: int
) -> np.ndarray:
    """Draw ``n`` code indices."""
    return rng.choice(len(code_list), size=n, p=probabilities(code_list, weights)).astype(np.int8)


def index(code_list: tuple[str, ...], code: str) -> int:
    """Index of one code."""
    return code_list.index(code)


TEAM_TYPE = codes("referrals", "team_type")
REFERRAL_SOURCE = codes("referrals", "referral_source")
YNU = codes("referrals", "in_secondary_mh_care")
YN = codes("referrals", "accepted")
REJECTION_REASON = codes("referrals", "rejection_reason")
GENDER = codes("referrals", "gender")
ETHNIC = codes("referrals", "ethnic_category")
QUALIFICATION = codes("referrals", "highest_qualification")
EMPLOYMENT_STATUS = codes("referrals", "employment_status")
EMPLOYED_DETAIL = codes("referrals", "employed_detail")
LAST_PAID_WORK = codes("referrals", "last_paid_work")
BENEFIT = codes("referrals", "benefit")
LIVING = codes("referrals", "living_situation")
CLOSURE_REASON = codes("referrals", "closure_reason")
RETENTION = codes("referrals", "retention_outcome")
CONTACT_TYPE = codes("contacts", "contact_type")
CONTRACT_TYPE = codes("jobs", "contract_type")
SECTOR = codes("jobs", "sector")
EVIDENCE = codes("jobs", "evidence")
SETTING = codes("education", "setting")
LEVEL = codes("education", "level")
REVIEW_TYPE = codes("fidelity_reviews", "review_type")
ROLE = codes("staff", "role")
COMPONENT = codes("finance", "component")

EMPLOYED = index(EMPLOYMENT_STATUS, "01")
IN_WORK = index(CLOSURE_REASON, "in_work")
NOT_IN_WORK = index(RETENTION, "not_in_work")
SELF_EMPLOYED = index(CONTRACT_TYPE, "self_employed")

# Reasons a referral closes when the client is not in work.
NOT_WORKING_CLOSURE = {
    "no_longer_wants_work": 0.2,
    "became_unwell": 0.22,
    "disengaged": 0.3,
    "moved_away": 0.08,
    "transferred": 0.1,
    "other": 0.1,
}

# National Living Wage (adult rate) from each April: the rate in force on a start date.
MINIMUM_WAGE_FROM = (
    ("2016-04-01", 720),
    ("2017-04-01", 750),
    ("2018-04-01", 783),
    ("2019-04-01", 821),
    ("2020-04-01", 872),
    ("2021-04-01", 891),
    ("2022-04-01", 950),
    ("2023-04-01", 1042),
    ("2024-04-01", 1144),
    ("2025-04-01", 1221),
)


def ensure_all(
    rng: np.random.Generator,
    values: np.ndarray,
    wanted: list[int] | range,
    eligible: np.ndarray,
) -> np.ndarray:
    """Overwrite a few eligible rows so that every wanted code occurs at least once.

    Small runs (the sample) draw too few rows for the rarest codes to appear by
    chance; a test file should still show every code of the contract. Rows are
    chosen at random among ``eligible`` ones and never twice; a large run where
    every code already occurs is left as it is.
    """
    out = values.copy()
    pool = np.flatnonzero(eligible)
    missing = [c for c in wanted if not np.any(out[pool] == c)]
    if missing and len(pool) >= len(missing):
        present = out[pool]
        # Take rows whose own code is common, so filling a gap never opens another.
        counts = np.bincount(present[present >= 0].astype(np.int64), minlength=max(wanted) + 1)
        common = pool[counts[np.clip(present, 0, None)] > len(missing) + 1]
        chosen = rng.choice(common if len(common) >= len(missing) else pool, len(missing), replace=False)
        out[np.sort(chosen)] = np.array(missing, dtype=out.dtype)
    return out
