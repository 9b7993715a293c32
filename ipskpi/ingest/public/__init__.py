"""The layouts of the public extracts (../shared/spec/public-sources.md) and how each is staged.

One module per publisher or source family, over :mod:`ipskpi.ingest.public.common`:
:mod:`~ipskpi.ingest.public.nomis` (NM_17_5), :mod:`~ipskpi.ingest.public.dwp` (NM_134_1 and
Stat-Xplore), :mod:`~ipskpi.ingest.public.cqc`, :mod:`~ipskpi.ingest.public.mhsds` and
:mod:`~ipskpi.ingest.public.commissioning`.

Each ``stage_*`` function reads one delivered file into two temp tables, set-based:

- ``_pub_rows``: the raw table's columns plus ``_row_number`` (the row a person sees in
  the file: the header is row 1 of a CSV or the row it sits on in a sheet) and ``_item``
  (which cell of a wide row an unpivoted long row came from; null for long files);
- ``_pub_rejected``: (row_number, item, column_name, value, rule, reason) for every value
  that breaks a layout rule (an item of null means the whole file row).

A file whose structure cannot be read as its layout raises StructureError and is refused
whole by :mod:`ipskpi.ingest.public_sources`, which owns the ledger and the transaction.
Python only looks at a file's header and title block; rows are handled in DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from ipskpi.ingest.public.commissioning import COMMISSIONING, stage_commissioning
from ipskpi.ingest.public.common import Context, RawTable, Staged
from ipskpi.ingest.public.cqc import CQC_TRUST_RESULTS, stage_cqc
from ipskpi.ingest.public.dwp import DWP_CLAIMANTS, stage_dwp
from ipskpi.ingest.public.mhsds import MHSDS_MEASURES, stage_mhsds
from ipskpi.ingest.public.nomis import NOMIS_OBSERVATIONS, stage_nomis

Stager = Callable[[duckdb.DuckDBPyConnection, Path, Context], Staged]

# Source folder -> (raw table, stager, file extensions it reads), in load order.
SOURCES: dict[str, tuple[RawTable, Stager, tuple[str, ...]]] = {
    "nomis_aps": (NOMIS_OBSERVATIONS, stage_nomis, (".csv",)),
    "dwp_esa": (DWP_CLAIMANTS, stage_dwp, (".csv",)),
    "cqc_cmh_survey": (CQC_TRUST_RESULTS, stage_cqc, (".xlsx", ".ods", ".csv")),
    "mhsds": (MHSDS_MEASURES, stage_mhsds, (".csv",)),
    "commissioner_returns": (COMMISSIONING, stage_commissioning, (".csv",)),
}
PUBLIC_TABLES = tuple(table for table, _, _ in SOURCES.values())
