"""Deterministic synthetic landing folder: provider returns, commissioner returns, public extracts.

``generate(scale, seed, out)`` simulates every referral of the providers in
scope as a full life history (engagement, jobs, education, closure), the staff
who work them and the contacts they make, then cuts monthly provider returns
by the current-state rule and writes them, with the commissioner returns and
the public sources, in the real layouts of ``shared/spec``. The same scale and
seed give byte-identical files.

Steps:
1. Read the reference seeds and choose the providers in scope (``reference``).
2. Simulate referral life histories, jobs and education (``lifecycle``).
3. Plant the edge-case scenarios in provider RX4 (``scenarios``).
4. Give every record its pseudonymous id.
5. Staff the posts, make the contacts, add finance, fidelity and quality (``activity``).
6. Cut and write the monthly returns (``returns``).
7. Write the commissioner returns and public extracts (``public``).
8. Write MANIFEST.json: scale, seed, period, counts and the planted scenarios.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ipskpi.generator import activity, lifecycle, public, returns, scenarios, timeline
from ipskpi.generator.reference import (
    SCALES,
    ProviderPlan,
    ScaleConfig,
    load_reference,
    plan_providers,
)
from ipskpi.generator.timeline import NEVER

__all__ = ["generate", "SCALES", "OUTPUT_FOLDERS"]

OUTPUT_FOLDERS = (
    "provider_returns",
    "commissioner_returns",
    "nomis_aps",
    "dwp_esa",
    "cqc_cmh_survey",
    "mhsds",
)


def _padded_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    text = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string()), width=width, padding="0"
    )
    return pc.binary_join_element_wise(prefix, text, "")


def _sequence(group: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Running number of each row within its group, in the order of ``keys`` (last = primary)."""
    order = np.lexsort((*keys, group))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    first = np.searchsorted(group[order], group, side="left")
    return rank - first


def generate(scale: str, seed: int, out: Path) -> dict[str, object]:
    """Write a landing folder for ``scale`` (``sample`` or ``national``) and return its manifest."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    config = SCALES[scale]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_FOLDERS:
        shutil.rmtree(out / name, ignore_errors=True)
    (out / "MANIFEST.json").unlink(missing_ok=True)

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)]
    ref_data = load_reference()
    plan = plan_providers(ref_data, config, streams[0])

    # Life histories.
    prov, rdate = lifecycle.arrivals(streams[1], plan, config)
    order = np.lexsort((rdate, prov))
    ref = lifecycle.demographics(streams[2], plan, prov[order], rdate[order])
    lifecycle.link_repeat_clients(streams[2], ref)
    window_start = int(timeline.month_start(config.months[0]))
    lifecycle.cover_intake_codes(streams[2], plan, ref, window_start)
    ref, spans = lifecycle.life_histories(streams[3], plan, ref)
    ref["quiet"] = False
    ref["last_contact"] = np.int32(NEVER)
    jobs = lifecycle.job_details(streams[4], spans)
    edu = lifecycle.education(streams[5], ref)
    lifecycle.cover_outcome_codes(streams[5], ref, jobs, edu, window_start)

    planted = scenarios.plant(streams[6], plan, len(ref), len(jobs), len(edu))
    ref = pd.concat([ref, planted.referrals], ignore_index=True)
    jobs = pd.concat([jobs, planted.jobs], ignore_index=True)
    edu = pd.concat([edu, planted.education], ignore_index=True)

    ids = _assign_ids(streams[7], plan, ref, jobs, edu)

    roster = activity.staff_roster(streams[8], plan, config, ref)
    staff = activity.staff_rows(roster)
    contacts = activity.contacts(streams[9], plan, roster, ref, planted.contacts)
    contact_prov = ref["prov"].to_numpy()[contacts["ref"].to_numpy()]
    contacts["seq"] = _sequence(
        contact_prov,
        contacts["type"].to_numpy(),
        ref["seq"].to_numpy()[contacts["ref"].to_numpy()],
        contacts["date"].to_numpy(),
    )
    ids["contact"] = _padded_ids("K", contacts["seq"].to_numpy() + 1, 8)
    ids["staff"] = pa.array(roster.people["staff_id"].tolist(), pa.string())

    service = streams[10]
    histories = returns.Histories(
        plan=plan,
        scale=config,
        ref=ref,
        jobs=jobs,
        edu=edu,
        contacts=contacts,
        staff=staff,
        people=roster.people,
        finance=activity.finance(service, plan, config, staff),
        fidelity=activity.fidelity_reviews(service, plan, config),
        quality=activity.quality_assessments(service, plan, config),
        corrections=planted.corrections,
        resends=planted.resends,
        ids=ids,
    )
    cuts = returns.cut_all(histories)
    delivery = returns.write_returns(histories, cuts, out)

    # Public sources and commissioner returns for the catchments in scope.
    public_rng = streams[11]
    areas = public.Areas(ref_data, public_rng)
    in_scope = set(plan.table["provider_code"])
    las = sorted(set(ref_data.catchments[ref_data.catchments["provider_code"].isin(in_scope)]["la_code"]))
    hosts = sorted(set(plan.table["host_trust_code"]))
    source_counts = {
        "commissioner_returns": public.write_commissioning(ref_data, areas, config, las, public_rng, out),
        "nomis_aps": public.write_nomis(ref_data, areas, config, las, public_rng, out),
        "dwp_esa": public.write_dwp(areas, config, las, public_rng, out),
        "cqc_cmh_survey": public.write_cqc(ref_data, hosts, public_rng, out),
        "mhsds": public.write_mhsds(plan, areas, config, ref, ref_data.catchments, public_rng, out),
    }

    manifest = _manifest(config, seed, histories, cuts, delivery, source_counts, planted, roster)
    manifest["files"] = 1 + sum(1 for name in OUTPUT_FOLDERS for p in (out / name).rglob("*") if p.is_file())
    (out / "MANIFEST.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def _pseudonyms(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """Distinct 40-bit numbers, one per distinct person label (a keyed bijection of their rank)."""
    _, dense = np.unique(labels, return_inverse=True)
    mask = (1 << 40) - 1
    multiplier = int(rng.integers(1, 1 << 39)) * 2 + 1  # odd: a bijection modulo 2**40
    key = int(rng.integers(0, 1 << 40))
    return ((dense.astype(np.int64) * multiplier) & mask) ^ key


def _assign_ids(
    rng: np.random.Generator,
    plan: ProviderPlan,
    ref: pd.DataFrame,
    jobs: pd.DataFrame,
    edu: pd.DataFrame,
) -> dict[str, pa.Array]:
    """Referral, client, job and education ids: running numbers per provider, or pseudonyms."""
    n_prov = len(plan.table)
    start = rng.integers(1_000, 90_000, n_prov)
    uid = np.arange(len(ref))
    prov = ref["prov"].to_numpy()
    ref["seq"] = _sequence(prov, uid, ref["rdate"].to_numpy())
    job_ref = jobs["ref"].to_numpy()
    jobs["seq"] = _sequence(
        prov[job_ref], np.arange(len(jobs)), ref["seq"].to_numpy()[job_ref], jobs["start"].to_numpy()
    )
    edu_ref = edu["ref"].to_numpy()
    edu["seq"] = _sequence(
        prov[edu_ref], np.arange(len(edu)), ref["seq"].to_numpy()[edu_ref], edu["start"].to_numpy()
    )
    return {
        "referral": _padded_ids("R", ref["seq"].to_numpy() + start[prov], 7),
        "client": pa.array(
            activity.hex_strings("C", _pseudonyms(rng, ref["client"].to_numpy()), 10).tolist(), pa.string()
        ),
        "job": _padded_ids("J", jobs["seq"].to_numpy() + start[prov[job_ref]] // 3, 7),
        "education": _padded_ids("E", edu["seq"].to_numpy() + 1, 6),
    }


def _manifest(
    config: ScaleConfig,
    seed: int,
    h: returns.Histories,
    cuts: dict[str, returns.TableCut],
    delivery: dict[str, object],
    source_counts: dict[str, dict[str, int]],
    planted: scenarios.Planted,
    roster: activity.Roster,
) -> dict[str, object]:
    t = h.plan.table
    key_columns = {
        "referrals": "referral_id",
        "contacts": "contact_id",
        "jobs": "job_id",
        "education": "education_id",
        "staff": None,
        "finance": None,
        "fidelity_reviews": "review_id",
        "quality_assessments": "assessment_date",
    }
    tables = {}
    for name, cut in cuts.items():
        key = key_columns[name]
        distinct = (
            len(
                pc.unique(
                    pc.binary_join_element_wise(
                        cut.table.column("provider_code"), pc.cast(cut.table.column(key), pa.string()), "|"
                    )
                )
            )
            if key
            else cut.table.num_rows
        )
        tables[name] = {"rows": cut.table.num_rows, "distinct_records": distinct}

    providers = []
    for row in t.itertuples():
        first = int(row.first_return)
        xlsx = int(row.xlsx_from)
        delivery_kind = "csv" if xlsx >= NEVER else ("xlsx" if xlsx <= first else "csv_then_xlsx")
        providers.append(
            {
                "provider_code": row.provider_code,
                "provider_type": row.provider_type,
                "host_trust_code": row.host_trust_code,
                "first_return_month": timeline.month_label(first),
                "service_start_date": timeline.iso(int(row.service_start)),
                "delivery": delivery_kind,
                "xlsx_from_month": None if xlsx >= NEVER else timeline.month_label(max(xlsx, first)),
            }
        )

    return {
        "generator": "ipskpi.generator",
        "manifest_version": 1,
        "scale": config.name,
        "seed": seed,
        "period": {
            "first_month": config.first_month,
            "last_month": config.last_month,
            "as_of_date": timeline.AS_OF.isoformat(),
            "financial_years": config.financial_years,
        },
        "providers": providers,
        "counts": {
            "provider_returns": {**delivery, "tables": tables},
            **{k: {"files": len(v), "rows": int(sum(v.values()))} for k, v in source_counts.items()},
        },
        "scenarios": _resolve_scenarios(h, planted, roster),
    }


def _resolve_scenarios(
    h: returns.Histories, planted: scenarios.Planted, roster: activity.Roster
) -> list[dict[str, object]]:
    """Turn row numbers in the scenario entries into the ids the returns carry."""
    ids = {k: v.to_pylist() if k != "contact" else None for k, v in h.ids.items()}
    tags = h.contacts["tag"].to_numpy()

    def contact_id(tag: int) -> str:
        return h.ids["contact"][int(np.flatnonzero(tags == tag)[0])].as_py()

    resolved = []
    for entry in planted.entries:
        item: dict[str, object] = {}
        for key, value in entry.items():
            if key == "referral_id":
                item[key] = ids["referral"][int(value)]
            elif key in ("job_id",):
                item[key] = ids["job"][int(value)]
            elif key in ("job_ids", "new_job_ids"):
                item[key] = [ids["job"][int(v)] for v in value]
            elif key == "education_ids":
                item[key] = [ids["education"][int(v)] for v in value]
            elif key == "contact_id":
                item[key] = contact_id(int(str(value).split(":")[1]))
            else:
                item[key] = value
        resolved.append(item)

    t = h.plan.table
    codes = t["provider_code"].tolist()
    rx4 = codes.index(scenarios.PROVIDER)
    # Staff hours change, finance and fidelity of the planted provider.
    person = int(roster.holder[roster.post_offset[rx4], len(roster.months) - 1])
    resolved.append(
        {
            "name": "staff_wte_change",
            "provider_code": scenarios.PROVIDER,
            "employment_specialist_id": roster.people["staff_id"].iloc[person],
            "month": "2025-01",
            "what_it_shows": "an employment specialist at 1.0 WTE until 2024-12 and 0.8 WTE from 2025-01",
        }
    )
    fy = h.scale.financial_years[-1]
    components = sorted(h.finance[(h.finance["prov"] == rx4) & (h.finance["fy"] == fy)]["component"])
    resolved.append(
        {
            "name": "finance_rows",
            "provider_code": scenarios.PROVIDER,
            "financial_year": str(fy),
            "components": components,
            "what_it_shows": "every return carries its financial year's contract values, one row per "
            "service component",
        }
    )
    reviews = h.fidelity[h.fidelity["prov"] == rx4]
    resolved.append(
        {
            "name": "fidelity_reviews",
            "provider_code": scenarios.PROVIDER,
            "review_ids": reviews["review_id"].tolist(),
            "what_it_shows": "about one fidelity review a year, external and self in turn",
        }
    )
    # A referral received before the window and still open in the first return.
    r = h.ref
    window_start = timeline.month_start(h.scale.months[0])
    carried = np.flatnonzero(
        (r["prov"].to_numpy() == rx4)
        & (r["rdate"].to_numpy() < window_start)
        & r["accepted"].to_numpy()
        & (r["closure"].to_numpy() >= window_start)
        & (r["deleted_month"].to_numpy() >= NEVER)
    )
    if len(carried):
        first = carried[np.argmin(r["rdate"].to_numpy()[carried])]
        resolved.append(
            {
                "name": "carried_over_into_first_return",
                "provider_code": scenarios.PROVIDER,
                "referral_id": ids["referral"][int(first)],
                "month": h.scale.first_month,
                "what_it_shows": "received before the first return month and still open: the first "
                "return carries it (carried over)",
            }
        )
    new = t[t["provider_code"].isin(list(h.scale.new_services))]
    for row in new.itertuples():
        mine = np.flatnonzero(r["prov"].to_numpy() == row.Index)
        first_ref = mine[np.argmin(r["rdate"].to_numpy()[mine])]
        resolved.append(
            {
                "name": "service_starts_in_window",
                "provider_code": row.provider_code,
                "referral_id": ids["referral"][int(first_ref)],
                "service_start_date": timeline.iso(int(row.service_start)),
                "what_it_shows": "a service whose first referral ever arrives inside the window: its "
                "first financial year is service year 1",
            }
        )
    return resolved
