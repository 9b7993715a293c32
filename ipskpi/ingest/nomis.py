"""Fetch NOMIS NM_17_5 (Annual Population Survey) into ``<landing>/nomis_aps/``.

Steps:
1. Build the documented URL (../shared/spec/public-sources.md)
   ``<base>/dataset/NM_17_5.data.csv?geography=<GSS,...>&date=<date>&variable=<codes>
   &measures=20599,21001,21002,21003[&select=<columns>]`` for the configured geographies and
   the variable codes of seeds/ref_nomis_variables.csv.
2. Page with ``recordoffset``: anonymous calls return at most 25,000 rows, so ask for the next
   page until one comes back shorter than the page size.
3. Retry transient failures (timeouts, connection errors, HTTP 429 and 5xx) with exponential
   backoff, honouring ``Retry-After``.
4. Write the pages as one CSV (one header) atomically; the loader then reads it like any
   file drop. When NOMIS cannot be reached the fetch says it fell back to the file drop:
   whatever files are already in the folder are loaded as usual.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

from ipskpi.config import PROJECT_DIR

NOMIS_API = "https://www.nomisweb.co.uk/api/v01"
DATASET = "NM_17_5"
MEASURES = (20599, 21001, 21002, 21003)
PAGE_SIZE = 25_000
ENGLAND = "E92000001"
TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_SECONDS = 60.0


class NomisFetchError(RuntimeError):
    """NOMIS answered, but not with an extract (a bad request or an unexpected body)."""


class _Unreachable(Exception):
    """Transient failures outlasted the retries."""


@dataclass
class FetchResult:
    """What one fetch did: ``fetched`` a file, or fell back to the ``file_drop``."""

    status: str  # fetched | file_drop
    url: str
    path: Path | None = None
    rows: int = 0
    pages: int = 0
    attempts: int = 0
    message: str = ""

    @property
    def fell_back_to_file_drop(self) -> bool:
        return self.status == "file_drop"


def variable_codes(seeds_dir: Path | None = None) -> list[str]:
    """The NM_17_5 variable codes the context panel uses (seeds/ref_nomis_variables.csv)."""
    path = (seeds_dir or PROJECT_DIR / "seeds") / "ref_nomis_variables.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [r["variable_code"].strip() for r in csv.DictReader(handle) if r["dataset_id"] == DATASET]


def configured_geographies(seeds_dir: Path | None = None) -> list[str]:
    """GSS codes to fetch: ``IPSKPI_NOMIS_GEOGRAPHY`` (comma separated) when set, else every
    local authority in a provider catchment, their regions and England."""
    configured = os.environ.get("IPSKPI_NOMIS_GEOGRAPHY", "").strip()
    if configured:
        return [c.strip() for c in configured.split(",") if c.strip()]
    seeds = seeds_dir or PROJECT_DIR / "seeds"
    with (seeds / "ref_provider_catchments.csv").open(encoding="utf-8-sig", newline="") as handle:
        las = sorted({r["la_code"].strip() for r in csv.DictReader(handle)})
    with (seeds / "ref_local_authorities.csv").open(encoding="utf-8-sig", newline="") as handle:
        region_of = {r["la_code"].strip(): r["region_code"].strip() for r in csv.DictReader(handle)}
    regions = sorted({region_of[la] for la in las if la in region_of})
    return [*las, *regions, ENGLAND]


def build_url(
    geography: Sequence[str],
    date_spec: str,
    variables: Sequence[str | int],
    *,
    base_url: str = NOMIS_API,
    measures: Sequence[int] = MEASURES,
    select: Sequence[str] | None = None,
    record_offset: int = 0,
) -> str:
    """The documented NM_17_5 data URL (commas left as commas, as NOMIS documents it)."""
    query = [
        f"geography={','.join(geography)}",
        f"date={date_spec}",
        f"variable={','.join(str(v) for v in variables)}",
        f"measures={','.join(str(m) for m in measures)}",
    ]
    if select:
        query.append(f"select={','.join(select)}")
    if record_offset:
        query.append(f"recordoffset={record_offset}")
    return f"{base_url.rstrip('/')}/dataset/{DATASET}.data.csv?{'&'.join(query)}"


def fetch_nm_17_5(
    landing: Path,
    *,
    geography: Sequence[str] | None = None,
    date_spec: str = "latest",
    variables: Sequence[str | int] | None = None,
    select: Sequence[str] | None = None,
    base_url: str = NOMIS_API,
    page_size: int = PAGE_SIZE,
    retries: int = 4,
    backoff_seconds: float = 2.0,
    timeout_seconds: float = 60.0,
    seeds_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Download NM_17_5 for the configured areas into ``<landing>/nomis_aps/``.

    Returns ``fetched`` with the file written, or ``file_drop`` (nothing written) when NOMIS
    could not be reached after ``retries`` retries of each page.
    """
    geography = list(geography or configured_geographies(seeds_dir))
    variables = list(variables or variable_codes(seeds_dir))
    first_url = build_url(geography, date_spec, variables, base_url=base_url, select=select)
    folder = landing / "nomis_aps"
    slug = date_spec.replace(",", "_").replace("/", "-")
    name = f"nm_17_5_{slug}{'_select' if select else ''}_{date.today():%Y%m%d}.csv"
    result = FetchResult("fetched", first_url)
    header: str | None = None
    body: list[str] = []
    try:
        with httpx.Client(timeout=timeout_seconds, follow_redirects=True) as client:
            offset = 0
            while True:
                url = build_url(
                    geography, date_spec, variables, base_url=base_url, select=select, record_offset=offset
                )
                text, attempts = _get_with_retries(client, url, retries, backoff_seconds, sleep)
                result.attempts += attempts
                result.pages += 1
                lines = [line for line in text.splitlines() if line.strip()]
                if not lines or "OBS_VALUE" not in lines[0].upper():
                    raise NomisFetchError(f"{url} did not return a NOMIS CSV (first line: {lines[:1]})")
                if header is None:
                    header = lines[0]
                elif lines[0] != header:
                    raise NomisFetchError(f"page at recordoffset={offset} has a different header")
                rows = lines[1:]
                body.extend(rows)
                if len(rows) < page_size:
                    break
                offset += page_size
    except _Unreachable as exc:
        return FetchResult(
            "file_drop",
            first_url,
            pages=result.pages,
            attempts=result.attempts + exc.args[1],
            message=f"NOMIS could not be reached ({exc.args[0]}); fell back to the file drop: "
            f"the files already in {folder} are loaded as usual",
        )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".{name}.part"
    partial.write_text("\n".join([header or "", *body]) + "\n", encoding="utf-8")
    os.replace(partial, target)
    result.path, result.rows = target, len(body)
    result.message = f"fetched {len(body)} rows in {result.pages} page(s) into {target.name}"
    return result


def _get_with_retries(
    client: httpx.Client,
    url: str,
    retries: int,
    backoff_seconds: float,
    sleep: Callable[[float], None],
) -> tuple[str, int]:
    """GET ``url``; retry transient failures; return (body, attempts)."""
    last = ""
    for attempt in range(retries + 1):
        wait = backoff_seconds * (2**attempt)
        try:
            response = client.get(url)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code in TRANSIENT_STATUS:
                last = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    wait = float(retry_after)
            elif response.is_error:
                raise NomisFetchError(f"{url} answered HTTP {response.status_code}: {response.text[:200]}")
            else:
                return response.text, attempt + 1
        if attempt < retries:
            sleep(min(wait, MAX_WAIT_SECONDS))
    raise _Unreachable(last, retries + 1)
