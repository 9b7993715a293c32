"""Reference data (the repository's ``seeds/``) and the two scale presets.

The generator reads the same seed files that dbt loads, so the providers, local
authorities, catchments, NOMIS variable codes and CQC question numbers in the
generated landing folder always agree with the warehouse's reference tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ipskpi.generator import timeline
from ipskpi.generator.codes import TEAM_TYPE

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"

REGION_NAMES = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
ENGLAND_CODE = "E92000001"

# The IPS fidelity bands of the KPI catalogue, as total-score ranges.
FIDELITY_BANDS = {
    "exemplary": (115, 125),
    "good": (100, 114),
    "fair": (74, 99),
    "not_ips": (25, 73),
}


@dataclass(frozen=True)
class Reference:
    """The five reference seeds, read as text (empty cell = empty string)."""

    providers: pd.DataFrame
    local_authorities: pd.DataFrame
    catchments: pd.DataFrame
    nomis_variables: pd.DataFrame
    cqc_questions: pd.DataFrame


def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    """Read the reference seeds from ``seeds_dir`` (the repository's ``seeds/`` by default)."""

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(seeds_dir / name, dtype=str, keep_default_na=False)

    return Reference(
        providers=read("ref_providers.csv"),
        local_authorities=read("ref_local_authorities.csv"),
        catchments=read("ref_provider_catchments.csv"),
        nomis_variables=read("ref_nomis_variables.csv"),
        cqc_questions=read("ref_cqc_survey_questions.csv"),
    )


@dataclass(frozen=True)
class ScaleConfig:
    """What one preset generates.

    first_month/last_month: the returns delivered (inclusive).
    history_months: simulated before ``first_month`` so that the first returns
        carry referrals received earlier (carried over).
    in_window_referrals: the number of referrals received inside the window to aim for.
    new_services: provider -> the day its service (and first referral) starts.
    xlsx_from: provider -> first month it delivers an Excel workbook instead of CSVs.
    fixed_rates: monthly referral rates (at 2024 levels) for named providers.
    """

    name: str
    first_month: str
    last_month: str
    history_months: int
    in_window_referrals: int
    new_services: dict[str, str] = field(default_factory=dict)
    xlsx_from: dict[str, str] = field(default_factory=dict)
    fixed_rates: dict[str, float] = field(default_factory=dict)
    only_in_sample: bool = False
    nomis_years: tuple[int, ...] = ()
    esa_historic_months: tuple[str, ...] = ("2016-11", "2017-11", "2018-11")

    @property
    def months(self) -> np.ndarray:
        """Month numbers of the window."""
        return np.arange(timeline.month(self.first_month), timeline.month(self.last_month) + 1)

    @property
    def financial_years(self) -> list[int]:
        """Financial years the window covers."""
        return sorted({int(y) for y in timeline.financial_year_of_month(self.months)})


SCALES: dict[str, ScaleConfig] = {
    "sample": ScaleConfig(
        name="sample",
        first_month="2024-04",
        last_month="2026-03",
        history_months=24,
        in_window_referrals=1300,
        new_services={"NQV02": "2024-05-02"},
        xlsx_from={"NQV01": "2024-04", "TAF": "2025-01"},
        fixed_rates={"RX4": 11.5, "RXT": 11.0, "TAF": 10.0, "NQV01": 9.0, "NQV02": 9.0},
        only_in_sample=True,
        nomis_years=(2024, 2025),
    ),
    "national": ScaleConfig(
        name="national",
        first_month="2021-04",
        last_month="2026-03",
        history_months=24,
        in_window_referrals=270_000,
        new_services={"NQV02": "2024-05-02", "NQV07": "2022-01-04", "NQV11": "2023-04-03"},
        xlsx_from={
            "NQV01": "2021-04",
            "TAF": "2025-01",
            "NQV05": "2021-04",
            "NQV09": "2021-04",
            "RP1": "2021-04",
        },
        nomis_years=(2021, 2022, 2023, 2024, 2025),
    ),
}


@dataclass(frozen=True)
class ProviderPlan:
    """Per-provider settings for one run, one row per provider in scope (arrays align)."""

    table: pd.DataFrame  # provider_code, provider_name, provider_type, host_trust_code, ...
    catchment_offsets: np.ndarray  # start of each provider's LAs in catchment_las
    catchment_counts: np.ndarray
    catchment_las: np.ndarray  # la_code strings, grouped by provider
    team_offsets: np.ndarray
    team_counts: np.ndarray
    team_codes: np.ndarray
    team_types: np.ndarray  # index into the contract's team_type codes


# The team-type pattern a provider's teams follow: every provider has every kind.
_TEAM_PATTERN = tuple(
    TEAM_TYPE.index(t)
    for t in (
        "cmht",
        "eip",
        "primary_care",
        "cmht",
        "forensic",
        "rehab",
        "other",
        "cmht",
        "eip",
        "cmht",
        "primary_care",
        "cmht",
    )
)


def plan_providers(ref: Reference, scale: ScaleConfig, rng: np.random.Generator) -> ProviderPlan:
    """Choose the providers in scope and their size, start date, quality and teams."""
    providers = ref.providers.sort_values("provider_code").reset_index(drop=True)
    if scale.only_in_sample:
        providers = providers[providers["in_sample"] == "Y"].reset_index(drop=True)
    n = len(providers)
    is_nhs = (providers["provider_type"] == "nhs").to_numpy()

    # Size: NHS trusts scale with their catchment, voluntary services are smaller.
    catch = ref.catchments.merge(providers[["provider_code"]], on="provider_code")
    catch = catch.sort_values(["provider_code", "la_code"]).reset_index(drop=True)
    counts = catch.groupby("provider_code")["la_code"].size().reindex(providers["provider_code"])
    n_las = counts.fillna(0).to_numpy(dtype=np.int64)
    weight = np.where(is_nhs, n_las + 2.0, 2.5) * rng.lognormal(0.0, 0.3, n)

    # Service start: long-running for most, a few services start inside the window.
    start_year = np.where(is_nhs, rng.integers(2012, 2020, n), rng.integers(2014, 2021, n))
    start_day = np.array(
        [timeline.day(f"{y}-{m:02d}-01") for y, m in zip(start_year, rng.integers(1, 13, n), strict=True)],
        dtype=np.int32,
    )
    for code, when in scale.new_services.items():
        start_day[(providers["provider_code"] == code).to_numpy()] = timeline.day(when)

    window = scale.months
    first_return = np.maximum(timeline.month_of(start_day), window[0]).astype(np.int32)

    # Monthly referral rate at 2024 levels, scaled to the preset's target volume.
    growth = 1.07 ** ((window - timeline.month("2024-04")) / 12.0)
    active = window[None, :] >= first_return[:, None]
    expected = (active * growth[None, :]).sum(axis=1)
    rate = weight * scale.in_window_referrals / float((weight * expected).sum())
    for code, fixed in scale.fixed_rates.items():
        rate[(providers["provider_code"] == code).to_numpy()] = fixed

    band_names = np.array(list(FIDELITY_BANDS))
    band = rng.choice(len(band_names), n, p=[0.15, 0.45, 0.3, 0.1])
    fixed_bands = {"RX4": 1, "RXT": 1, "TAF": 2, "NQV01": 0, "NQV02": 3}
    for code, b in fixed_bands.items():
        band[(providers["provider_code"] == code).to_numpy()] = b

    xlsx_from = np.full(n, timeline.NEVER, dtype=np.int64)
    for code, when in scale.xlsx_from.items():
        xlsx_from[(providers["provider_code"] == code).to_numpy()] = timeline.month(when)

    table = providers.assign(
        rate=rate,
        service_start=start_day,
        first_return=first_return,
        band=band_names[band],
        caseload_target=rng.uniform(17.0, 26.0, n),
        job_rate=np.select([band == 0, band == 1, band == 2], [0.55, 0.48, 0.40], 0.30),
        xlsx_from=xlsx_from,
    )

    offsets = np.concatenate([[0], np.cumsum(n_las)[:-1]]).astype(np.int64)

    # Teams: named after the host trust, 6-10 per provider, following the type pattern.
    team_counts = np.where(is_nhs, rng.integers(7, 11, n), 6).astype(np.int64)
    team_offsets = np.concatenate([[0], np.cumsum(team_counts)[:-1]]).astype(np.int64)
    codes, types = [], []
    for host, k, own in zip(
        providers["host_trust_code"], team_counts, providers["provider_code"], strict=True
    ):
        prefix = host if own == host else f"{host}V"
        for t in range(int(k)):
            codes.append(f"{prefix}T{t + 1:02d}")
            types.append(_TEAM_PATTERN[t % len(_TEAM_PATTERN)])
    return ProviderPlan(
        table=table,
        catchment_offsets=offsets,
        catchment_counts=n_las,
        catchment_las=catch["la_code"].to_numpy(),
        team_offsets=team_offsets,
        team_counts=team_counts,
        team_codes=np.array(codes, dtype=object),
        team_types=np.array(types, dtype=np.int64),
    )
