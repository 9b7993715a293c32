"""Commissioner returns and the public extracts, in the layouts of public-sources.md.

NOMIS APS (NM_17_5) in the full 28-column API layout and the ``select``
layout; DWP ESA by condition from NOMIS NM_134_1 (historic) and Stat-Xplore
table exports; the CQC community mental health survey, trust level, in a
format that changes by year; MHSDS monthly long CSVs. Area figures are
synthetic but coherent: every local authority has a population, regions and
England are population-weighted from all their authorities, and the MHSDS IPS
counts come from the generated referrals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ipskpi.contract import COMMISSIONER_RETURN
from ipskpi.generator import timeline, writers
from ipskpi.generator.geography import HOST_TRUST_GEOGRAPHY
from ipskpi.generator.lifecycle import AS_OF_DAY
from ipskpi.generator.reference import ENGLAND_CODE, REGION_NAMES, ProviderPlan, Reference, ScaleConfig
from ipskpi.generator.timeline import NEVER
from ipskpi.ingest.public.common import MHSDS_COLUMNS, NOMIS_FULL_COLUMNS

NOMIS_SELECT_COLUMNS = (
    "DATE_NAME",
    "GEOGRAPHY_NAME",
    "GEOGRAPHY_CODE",
    "VARIABLE_NAME",
    "MEASURES_NAME",
    "OBS_VALUE",
    "OBS_STATUS_NAME",
)
MEASURES = ((20599, "Variable"), (21001, "Numerator"), (21002, "Denominator"), (21003, "Confidence"))
SUPPRESSED = {
    "!": "Estimate and confidence interval not available since the group sample size is zero or "
    "disclosive (0-2)",
    "*": "Estimate and confidence interval unreliable since the group sample size is small (3-9)",
    "~": "Estimate is less than 500",
    "-": "These figures are missing.",
}
ICDGP_CONDITIONS = (
    (1, "Certain infectious and parasitic diseases", 0.005),
    (2, "Neoplasms", 0.02),
    (
        3,
        "Diseases of the blood and blood forming organs and certain disorders involving the immune mechanism",
        0.003,
    ),
    (4, "Endocrine, nutritional and metabolic diseases", 0.02),
    (5, "Mental and behavioural disorders", 0.49),
    (6, "Diseases of the nervous system", 0.07),
    (7, "Diseases of the eye and adnexa", 0.01),
    (8, "Diseases of the ear and mastoid process", 0.005),
    (9, "Diseases of the circulatory system", 0.035),
    (10, "Diseases of the respiratory system", 0.025),
    (11, "Diseases of the digestive system", 0.02),
    (12, "Diseases of the skin and subcutaneous tissue", 0.005),
    (13, "Diseases of the musculoskeletal system and connective tissue", 0.13),
    (14, "Diseases of the genitourinary system", 0.008),
    (15, "Pregnancy, childbirth and the puerperium", 0.001),
    (16, "Certain conditions originating in the perinatal period", 0.001),
    (17, "Congenital malformations, deformations and chromosomal abnormalities", 0.005),
    (18, "Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified", 0.05),
    (19, "Injury, poisoning and certain other consequences of external causes", 0.035),
    (20, "Factors influencing health status and contact with health services", 0.02),
    (21, "Unknown or missing", 0.038),
)
CQC_FORMATS = {2021: "xlsx", 2022: "ods", 2023: "csv", 2024: "xlsx", 2025: "ods"}
MHSDS_MEASURES = (
    (
        "MHS116",
        "Number of people accessing Individual Placement and Support (IPS) in the "
        "reporting period (rolling 12 months)",
    ),
    ("MHS116a", "Number of people accessing IPS per 100,000 population (rolling 12 months)"),
    (
        "AMH16e%",
        "Proportion of adults aged 18 to 69 in contact with secondary mental health "
        "services with employment status recorded (rolling 12 months)",
    ),
    (
        "AMH17e",
        "Adults aged 18 to 69 in contact with secondary mental health services in "
        "employment (rolling 12 months)",
    ),
    (
        "AMH17e%",
        "Proportion of adults aged 18 to 69 in contact with secondary mental health "
        "services in employment (rolling 12 months)",
    ),
)

# Which measures NHS Digital publishes at which level (../shared/spec/public-sources.md,
# MHSDS): MHS116 per provider and sub-ICB, AMH16e%/AMH17e/AMH17e% for sub-ICB, ICB and
# commissioning region but not per provider, England everything.
MHSDS_ENGLAND_MEASURES = frozenset({"MHS116", "MHS116a", "AMH16e%", "AMH17e", "AMH17e%"})
MHSDS_PROVIDER_MEASURES = frozenset({"MHS116"})
MHSDS_SUB_ICB_MEASURES = MHSDS_ENGLAND_MEASURES
MHSDS_EMPLOYMENT_MEASURES = frozenset({"AMH16e%", "AMH17e", "AMH17e%"})
# BREAKDOWN as NHS Digital names it, and the level in HOST_TRUST_GEOGRAPHY (0 sub-ICB,
# 1 ICB, 2 region).
MHSDS_AREA_BREAKDOWNS = (
    ("Sub ICB - GP Practice or Residence", 0),
    ("ICB - GP Practice or Residence", 1),
    ("Commissioning Region", 2),
)


class Areas:
    """Synthetic but stable figures for every local authority, region and England."""

    def __init__(self, ref: Reference, rng: np.random.Generator) -> None:
        la = ref.local_authorities.sort_values("la_code").reset_index(drop=True)
        n = len(la)
        self.la = la.assign(
            pop=np.round(np.clip(rng.lognormal(np.log(110_000), 0.6, n), 1_500, 750_000), -2),
            emp=np.clip(rng.normal(74.0, 4.0, n), 58.0, 86.0),
            unemp=np.clip(rng.normal(4.3, 1.3, n), 1.8, 10.0),
            qual=np.clip(rng.normal(77.0, 5.0, n), 60.0, 90.0),
            nomis_id=1778384897 + np.arange(n),
        )
        self.rng = rng

    def rates(self, year: int, rng: np.random.Generator) -> pd.DataFrame:
        """One row per area (LAs, regions, England) with the year's rates and counts."""
        la = self.la.copy()
        n = len(la)
        trend = (year - 2021) * 0.3
        la["emp_y"] = np.clip(la["emp"] + trend + rng.normal(0, 1.2, n), 55, 88)
        la["unemp_y"] = np.clip(la["unemp"] + rng.normal(0, 0.6, n), 1.0, 12.0)
        la["qual_y"] = np.clip(la["qual"] + (8.0 if year >= 2022 else 0.0) + rng.normal(0, 1.5, n), 55, 97)
        la["geo_type"] = "local authorities: district / unitary (as of April 2023)"
        la["geo_typecode"] = 424
        rows = [la.rename(columns={"la_code": "code", "la_name": "name"})]
        weighted = la.assign(
            w_emp=la["emp_y"] * la["pop"],
            w_unemp=la["unemp_y"] * la["pop"],
            w_qual=la["qual_y"] * la["pop"],
        )
        for key, frame, typ, typecode in (
            ("region_code", weighted, "regions", 480),
            (None, weighted, "countries", 499),
        ):
            groups = frame.groupby(key) if key else frame.assign(g=ENGLAND_CODE).groupby("g")
            agg = groups[["pop", "w_emp", "w_unemp", "w_qual"]].sum().reset_index()
            agg = agg.rename(columns={agg.columns[0]: "code"})
            agg["emp_y"] = agg["w_emp"] / agg["pop"]
            agg["unemp_y"] = agg["w_unemp"] / agg["pop"]
            agg["qual_y"] = agg["w_qual"] / agg["pop"]
            agg["name"] = agg["code"].map(REGION_NAMES).fillna("England")
            agg["nomis_id"] = np.where(
                agg["code"] == ENGLAND_CODE,
                2092957699,
                2013265920 + agg["code"].str[-1].astype(int),
            )
            agg["geo_type"], agg["geo_typecode"] = typ, typecode
            rows.append(agg)
        out = pd.concat(rows, ignore_index=True)
        out["inact_y"] = 100.0 - out["emp_y"] / (1.0 - out["unemp_y"] / 100.0)
        return out


def _fmt(value: float) -> float:
    """A NOMIS-like rate: one decimal (written without a trailing ``.0``)."""
    return round(float(value), 1)


def write_nomis(
    ref: Reference, areas: Areas, scale: ScaleConfig, las: list[str], rng: np.random.Generator, out: Path
) -> dict[str, int]:
    """NM_17_5 extracts per calendar year, full and select layouts in turn."""
    folder = out / "nomis_aps"
    folder.mkdir(parents=True, exist_ok=True)
    variables = ref.nomis_variables
    counts = {}
    las_set = set(las)
    unquoted_year = max(y for y in scale.nomis_years if y % 2 == 1)
    for year in scale.nomis_years:
        frame = areas.rates(year, rng)
        regions = sorted(
            {r for c, r in zip(areas.la["la_code"], areas.la["region_code"], strict=True) if c in las_set}
        )
        geos = pd.concat(
            [
                frame[frame["code"].isin(las_set)].sort_values("code"),
                frame[frame["code"].isin(regions)].sort_values("code"),
                frame[frame["code"] == ENGLAND_CODE],
            ],
            ignore_index=True,
        )
        series = "nvq" if year <= 2021 else "rqf"
        chosen = variables[(variables["concept"] != "nvq2_plus_rate") | (variables["series"] == series)]
        # Suppressed cells: each status at least once a year, among local authorities.
        n_la = int(geos["code"].isin(las_set).sum())
        cells = rng.choice(n_la * len(chosen), size=min(n_la * len(chosen), 4 + n_la // 10), replace=False)
        status_of = {int(c): "!*~-"[i % 4] for i, c in enumerate(cells)}
        rows = []
        for gi, g in geos.iterrows():
            pop = float(g["pop"])
            for vi, v in enumerate(chosen.itertuples()):
                rate = {
                    "employment_rate": g["emp_y"],
                    "unemployment_rate": g["unemp_y"],
                    "inactivity_rate": g["inact_y"],
                    "nvq2_plus_rate": g["qual_y"],
                }[v.concept]
                denominator = pop * (
                    g["emp_y"] / 100 / (1 - g["unemp_y"] / 100) if v.concept == "unemployment_rate" else 1.0
                )
                sample = max(denominator / 300.0, 20.0)
                p = rate / 100.0
                values = {
                    20599: _fmt(rate),
                    21001: int(round(denominator * p, -2)),
                    21002: int(round(denominator, -2)),
                    21003: _fmt(196.0 * np.sqrt(p * (1 - p) / sample)),
                }
                status = status_of.get(int(gi) * len(chosen) + vi, "A")
                for measure, measure_name in MEASURES:
                    rows.append(
                        {
                            "DATE": f"{year}-12",
                            "DATE_NAME": f"Jan {year}-Dec {year}",
                            "DATE_CODE": f"{year}-12",
                            "DATE_TYPE": "date",
                            "DATE_TYPECODE": 0,
                            "DATE_SORTORDER": 0,
                            "GEOGRAPHY": int(g["nomis_id"]),
                            "GEOGRAPHY_NAME": g["name"],
                            "GEOGRAPHY_CODE": g["code"],
                            "GEOGRAPHY_TYPE": g["geo_type"],
                            "GEOGRAPHY_TYPECODE": int(g["geo_typecode"]),
                            "GEOGRAPHY_SORTORDER": int(gi),
                            "VARIABLE": int(v.variable_code),
                            "VARIABLE_NAME": v.variable_name,
                            "VARIABLE_CODE": int(v.variable_code),
                            "VARIABLE_TYPE": "variable",
                            "VARIABLE_TYPECODE": 0,
                            "VARIABLE_SORTORDER": vi,
                            "MEASURES": measure,
                            "MEASURES_NAME": measure_name,
                            "OBS_VALUE": None if status != "A" else values[measure],
                            "OBS_STATUS": status,
                            "OBS_STATUS_NAME": "Normal Value" if status == "A" else SUPPRESSED[status],
                            "OBS_CONF": "F",
                            "OBS_CONF_NAME": "Free (free for publication)",
                            "URN": f"Nm-17d5d{year}-12d{int(g['nomis_id'])}d{v.variable_code}d{measure}",
                            "RECORD_OFFSET": 0,
                            "RECORD_COUNT": 0,
                        }
                    )
        for i, row in enumerate(rows):
            row["RECORD_OFFSET"], row["RECORD_COUNT"] = i, len(rows)
        layout = "full" if year % 2 == 0 else "select"
        columns = NOMIS_FULL_COLUMNS if layout == "full" else NOMIS_SELECT_COLUMNS
        writers.write_rows_csv(
            folder / f"aps_{year}_{layout}.csv",
            columns,
            ([r[c] for c in columns] for r in rows),
            quote_strings=not (layout == "select" and year == unquoted_year),
        )
        counts[f"aps_{year}_{layout}"] = len(rows)
    return counts


def _esa_counts(areas: Areas, las: list[str], when: str, rng: np.random.Generator) -> pd.DataFrame:
    """ESA claimants per local authority and condition, rounded to the nearest 10."""
    la = areas.la.set_index("la_code").loc[las]
    year = int(when[:4]) + (int(when[5:7]) - 1) / 12.0
    share = np.interp(year, [2016.8, 2019.0, 2022.0, 2026.2], [0.037, 0.034, 0.026, 0.016])
    total = la["pop"].to_numpy() * share * rng.uniform(0.8, 1.2, len(la))
    weights = np.array([w for _, _, w in ICDGP_CONDITIONS])
    mix = rng.dirichlet(weights * 400.0, len(la))
    counts = np.round(total[:, None] * mix, -1).astype(np.int64)
    frame = pd.DataFrame(counts, columns=[name for _, name, _ in ICDGP_CONDITIONS])
    frame.insert(0, "la_code", las)
    frame.insert(1, "la_name", la["la_name"].to_numpy())
    frame["Total"] = counts.sum(axis=1)
    return frame


def write_dwp(
    areas: Areas, scale: ScaleConfig, las: list[str], rng: np.random.Generator, out: Path
) -> dict[str, int]:
    """NM_134_1 historic extracts and quarterly Stat-Xplore exports, per catchment LA."""
    folder = out / "dwp_esa"
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    header = (
        "DATE",
        "DATE_NAME",
        "DATE_CODE",
        "DATE_TYPE",
        "DATE_TYPECODE",
        "DATE_SORTORDER",
        "GEOGRAPHY",
        "GEOGRAPHY_NAME",
        "GEOGRAPHY_CODE",
        "GEOGRAPHY_TYPE",
        "GEOGRAPHY_TYPECODE",
        "GEOGRAPHY_SORTORDER",
        "SEX",
        "SEX_NAME",
        "SEX_CODE",
        "SEX_TYPE",
        "SEX_TYPECODE",
        "SEX_SORTORDER",
        "AGE",
        "AGE_NAME",
        "AGE_CODE",
        "AGE_TYPE",
        "AGE_TYPECODE",
        "AGE_SORTORDER",
        "ICDGP_CONDITION",
        "ICDGP_CONDITION_NAME",
        "ICDGP_CONDITION_CODE",
        "ICDGP_CONDITION_TYPE",
        "ICDGP_CONDITION_TYPECODE",
        "ICDGP_CONDITION_SORTORDER",
        "MEASURES",
        "MEASURES_NAME",
        "OBS_VALUE",
        "OBS_STATUS",
        "OBS_STATUS_NAME",
        "OBS_CONF",
        "OBS_CONF_NAME",
        "URN",
        "RECORD_OFFSET",
        "RECORD_COUNT",
    )
    ids = dict(zip(areas.la["la_code"], areas.la["nomis_id"], strict=True))
    conditions = [(0, "Total")] + [(c, name) for c, name, _ in ICDGP_CONDITIONS]
    for when in scale.esa_historic_months:
        frame = _esa_counts(areas, las, when, rng)
        month_name = timeline.to_date(timeline.day(f"{when}-01")).strftime("%B %Y")
        rows = []
        for gi, rec in enumerate(frame.itertuples(index=False)):
            values = dict(zip(frame.columns, rec, strict=True))
            for si, (code, name) in enumerate(conditions):
                value = int(values["Total" if code == 0 else name])
                rows.append(
                    [
                        when,
                        month_name,
                        when,
                        "date",
                        0,
                        0,
                        int(ids[values["la_code"]]),
                        values["la_name"],
                        values["la_code"],
                        "local authorities: district / unitary (as of April 2015)",
                        434,
                        gi,
                        0,
                        "Total",
                        0,
                        "sex",
                        0,
                        0,
                        0,
                        "Total",
                        0,
                        "age",
                        0,
                        0,
                        code,
                        name,
                        code,
                        "condition",
                        0,
                        si,
                        20100,
                        "Value",
                        value,
                        "A",
                        "Normal Value",
                        "F",
                        "Free (free for publication)",
                        f"Nm-134d1d{when}d{ids[values['la_code']]}d0d0d{code}d20100",
                        0,
                        0,
                    ]
                )
        for i, row in enumerate(rows):
            row[-2], row[-1] = i, len(rows)
        writers.write_rows_csv(folder / f"esa_nm_134_1_{when}.csv", header, rows, quote_strings=True)
        counts[f"esa_nm_134_1_{when}"] = len(rows)

    names = [name for _, name, _ in ICDGP_CONDITIONS]
    for mm in scale.months:
        if timeline.month_label(mm)[5:] not in ("02", "05", "08", "11"):
            continue
        when = timeline.month_label(mm)
        frame = _esa_counts(areas, las, when, rng)
        label = timeline.to_date(timeline.month_start(mm)).strftime("%b-%y")
        path = folder / f"esa_statxplore_{when}.csv"
        title = [
            ["Title", "ESA caseload by ICDGP condition and local authority"],
            ["Dataset", "ESA Caseload"],
            ["Database", "str:database:ESA_Caseload"],
            ["Quarter", label],
            ["Counting", "Claimants"],
            [],
        ]
        body = [["National - Regional - LA - OAs", *names, "Total"]]
        for rec in frame.itertuples(index=False):
            values = dict(zip(frame.columns, rec, strict=True))
            body.append([values["la_name"], *[int(values[n]) for n in names], int(values["Total"])])
        totals = frame[[*names, "Total"]].sum()
        body.append(["Total", *[int(totals[n]) for n in names], int(totals["Total"])])
        notes = [
            [],
            ["Footnotes:"],
            [
                "1. Statistical disclosure control has been applied to this table to avoid the "
                "release of confidential data. Totals may not equal the sum of other cells."
            ],
            ["2. ICDGP condition is the claimant's main medical condition (ICD-10 chapters)."],
            ["Source: DWP Stat-Xplore, ESA caseload."],
        ]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for line in title + body + notes:
                handle.write(",".join(writers.quoted(v) for v in line) + "\n")
        counts[f"esa_statxplore_{when}"] = len(frame)
    return counts


def write_cqc(ref: Reference, hosts: list[str], rng: np.random.Generator, out: Path) -> dict[str, int]:
    """Trust-level survey results per year; the format and question numbers change by year."""
    folder = out / "cqc_cmh_survey"
    folder.mkdir(parents=True, exist_ok=True)
    names = ref.providers.set_index("provider_code")["provider_name"]
    questions = ref.cqc_questions
    counts = {}
    for year in sorted({int(y) for y in questions["survey_year"]}):
        q = questions[questions["survey_year"] == str(year)]
        help_cols = q[q["concept"] == "help_with_work"]["answer_column"].tolist()
        emp_cols = q[q["concept"] == "employment_status"]["answer_column"].tolist()
        header = ["TrustCode", "trustname", "n_tpat", *help_cols, *emp_cols]
        rows = []
        for code in hosts:
            help_mix = rng.dirichlet([30, 20, 18, 32]) * 100
            in_work = rng.uniform(12.0, 26.0)
            rows.append(
                [
                    code,
                    names[code],
                    int(rng.integers(220, 650)),
                    *[round(float(x), 1) for x in help_mix],
                    round(in_work, 1),
                    round(100.0 - in_work, 1),
                ]
            )
        fmt = CQC_FORMATS.get(year, "csv")
        path = folder / f"cmh_survey_{year}.{fmt}"
        sheet = f"CMH{year % 100:02d}_Trust_Scores"
        notes = (
            "Notes",
            ["Note"],
            [[f"Community mental health survey {year}: trust-level results (percentages of respondents)."]],
        )
        if fmt == "csv":
            writers.write_rows_csv(path, header, rows)
        elif fmt == "xlsx":
            writers.write_xlsx(path, [notes, (sheet, header, rows)])
        else:
            writers.write_ods(path, [notes, (sheet, header, rows)])
        counts[f"cmh_survey_{year}"] = len(rows)
    return counts


def _published_count(value: float) -> str:
    """MHSDS disclosure rule: under 5 is ``*``, otherwise rounded to the nearest 5."""
    return "*" if value < 5 else str(int(5 * round(value / 5.0)))


def write_mhsds(
    plan: ProviderPlan,
    areas: Areas,
    scale: ScaleConfig,
    ref_frame: pd.DataFrame,
    catchments: pd.DataFrame,
    rng: np.random.Generator,
    out: Path,
) -> dict[str, int]:
    """Monthly MHSDS long CSVs at the levels NHS Digital publishes each measure: MHS116 (IPS
    access, rolling 12 months) for England, each host trust (BREAKDOWN Provider) and each
    sub-ICB; MHS116a (per 100,000) for England and sub-ICB; AMH16e% / AMH17e / AMH17e%
    (employment status recorded / in employment) for England, sub-ICB, ICB and
    commissioning region, never per provider. A host trust's people count in its sub-ICB,
    ICB and region (``geography.HOST_TRUST_GEOGRAPHY``)."""
    folder = out / "mhsds"
    folder.mkdir(parents=True, exist_ok=True)
    t = plan.table
    hosts = sorted(set(t["host_trust_code"]))
    host_of_prov = np.array([hosts.index(h) for h in t["host_trust_code"]])
    months = scale.months
    n_m = len(months)

    # IPS access, rolling 12 months: engaged referrals open at some time in the 12 months.
    vp = ref_frame["vp"].to_numpy().astype(np.int64)
    end = np.minimum(ref_frame["closure"].to_numpy().astype(np.int64), AS_OF_DAY)
    engaged = vp < NEVER
    first = timeline.month_of(vp) - months[0]
    last = timeline.month_of(end) - months[0] + 11  # counted for 12 months after last activity
    first, last = np.clip(first, 0, n_m), np.clip(last, -1, n_m - 1)
    ok = engaged & (last >= first)
    host = host_of_prov[ref_frame["prov"].to_numpy()]
    diff = np.zeros((len(hosts), n_m + 1))
    np.add.at(diff, (host[ok], first[ok]), 1)
    np.add.at(diff, (host[ok], last[ok] + 1), -1)
    accessed = np.cumsum(diff[:, :n_m], axis=1)

    pops = areas.la.set_index("la_code")["pop"]
    nhs = catchments.merge(t[["provider_code"]], on="provider_code")
    population = np.array(
        [
            pops[nhs[nhs["provider_code"] == h]["la_code"]].sum() / 0.63
            if (nhs["provider_code"] == h).any()
            else 400_000.0
            for h in hosts
        ]
    )
    in_contact = population * rng.uniform(0.012, 0.018, len(hosts))
    recorded = rng.uniform(55.0, 80.0, len(hosts))
    employed = rng.uniform(7.0, 14.0, len(hosts))
    names = dict(zip(t["provider_code"], t["provider_name"], strict=True))
    scale_up = 45.0 / len(hosts) if len(hosts) < 45 else 1.0

    counts = {}
    for mi, mm in enumerate(months):
        label = timeline.month_label(mm)
        start = timeline.iso(timeline.month_start(mm))
        finish = timeline.iso(timeline.month_end(mm))
        status = "Provisional" if mi == n_m - 1 else "Performance"
        drift = rng.normal(0, 0.6, len(hosts))
        rec = np.clip(recorded + drift, 30, 95)
        emp = np.clip(employed + drift / 3, 3, 25)
        amh17 = in_contact * rec / 100 * emp / 100
        per_area = [
            (h, names.get(h, h).upper(), accessed[i, mi], population[i], rec[i], amh17[i], in_contact[i])
            for i, h in enumerate(hosts)
        ]
        eng_acc = accessed[:, mi].sum() * scale_up
        eng_pop = population.sum() * scale_up
        eng_contact = in_contact.sum() * scale_up
        eng_rec = float((rec * in_contact).sum() / in_contact.sum())
        england = ("ENG", "England", eng_acc, eng_pop, eng_rec, amh17.sum() * scale_up, eng_contact)
        areas_published = [("England", england, MHSDS_ENGLAND_MEASURES)]
        areas_published += [("Provider", a, MHSDS_PROVIDER_MEASURES) for a in per_area]
        for breakdown, level in MHSDS_AREA_BREAKDOWNS:
            groups: dict[tuple[str, str], list[int]] = {}
            for i, h in enumerate(hosts):
                geography = HOST_TRUST_GEOGRAPHY.get(h)
                if geography is not None:
                    groups.setdefault((geography[2 * level], geography[2 * level + 1]), []).append(i)
            for (code, desc), members in sorted(groups.items()):
                idx = np.array(members)
                contact = float(in_contact[idx].sum())
                area = (
                    code,
                    desc.upper(),
                    float(accessed[idx, mi].sum()),
                    float(population[idx].sum()),
                    float((rec[idx] * in_contact[idx]).sum() / contact),
                    float(amh17[idx].sum()),
                    contact,
                )
                measures = MHSDS_SUB_ICB_MEASURES if level == 0 else MHSDS_EMPLOYMENT_MEASURES
                areas_published.append((breakdown, area, measures))
        rows = []
        for breakdown, area, published in areas_published:
            code, desc, acc, pop, rec_pct, amh17e, contact = area
            values = {
                "MHS116": _published_count(acc),
                "MHS116a": "*" if acc < 5 else f"{acc / pop * 100_000:.1f}",
                "AMH16e%": f"{rec_pct:.1f}",
                "AMH17e": _published_count(amh17e),
                "AMH17e%": "*" if amh17e < 5 else f"{amh17e / contact * 100:.1f}",
            }
            for measure_id, measure_name in MHSDS_MEASURES:
                if measure_id not in published:
                    continue
                rows.append(
                    [
                        start,
                        finish,
                        status,
                        breakdown,
                        code,
                        desc,
                        "NONE",
                        "NONE",
                        measure_id,
                        measure_name,
                        values[measure_id],
                    ]
                )
        header = list(MHSDS_COLUMNS)
        writers.write_rows_csv(folder / f"mhsds_monthly_{label}.csv", header, rows)
        counts[f"mhsds_monthly_{label}"] = len(rows)
    return counts


def write_commissioning(
    ref: Reference, areas: Areas, scale: ScaleConfig, las: list[str], rng: np.random.Generator, out: Path
) -> dict[str, int]:
    """One commissioner return per financial year: one row per catchment local authority."""
    folder = out / "commissioner_returns"
    folder.mkdir(parents=True, exist_ok=True)
    providers = ref.providers.set_index("provider_code")
    nhs_of = {}
    for code, la in zip(ref.catchments["provider_code"], ref.catchments["la_code"], strict=True):
        if providers.loc[code, "provider_type"] == "nhs":
            nhs_of[la] = code
    pops = areas.la.set_index("la_code")["pop"]
    header = COMMISSIONER_RETURN.column_names
    yes_no = [c.name for c in COMMISSIONER_RETURN.columns if c.codes is not None]
    counts = {}
    for fy in scale.financial_years:
        p_yes = min(0.35 + 0.08 * (fy - 2021), 0.8)
        rows = []
        for la in las:
            answers = rng.choice(["Y", "N", "U"], size=len(yes_no), p=[p_yes, 0.9 - p_yes, 0.1])
            recruits = int(pops[la] / 1000 * rng.uniform(2.0, 4.0))
            rows.append(
                [la, *answers.tolist(), nhs_of[la], recruits, int(recruits * rng.uniform(0.02, 0.08))]
            )
        writers.write_rows_csv(folder / f"commissioning_{fy}.csv", header, rows)
        counts[f"commissioning_{fy}"] = len(rows)
    return counts
