"""Paths and settings, from the environment with defaults that suit a checkout.

Nothing else in the package hard-codes a path: the dbt project, the profiles
folder and the warehouse layout all come from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("IPSKPI_PROJECT_DIR", Path(__file__).resolve().parents[1]))
PROFILES_DIR = Path(os.environ.get("IPSKPI_PROFILES_DIR", PROJECT_DIR / "profiles"))
EXPECTATIONS_DIR = Path(os.environ.get("IPSKPI_EXPECTATIONS_DIR", PROJECT_DIR / "expectations"))
SAMPLE_LANDING = PROJECT_DIR / "data" / "sample" / "landing"
DEFAULT_WAREHOUSE = Path(os.environ.get("IPSKPI_WAREHOUSE", PROJECT_DIR / "warehouse"))


def duckdb_settings() -> dict[str, str]:
    """DuckDB settings for the pipeline's own heavy connections (ingest, audit).

    ``IPSKPI_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``) caps DuckDB's memory, which otherwise
    defaults to 80% of the machine's; the dbt profile reads the same variable, so one
    setting caps every stage. DuckDB spills to a temporary folder beside the database file.
    """
    limit = os.environ.get("IPSKPI_DUCKDB_MEMORY_LIMIT", "").strip()
    return {"memory_limit": limit} if limit else {}


def prefect_defaults() -> None:
    """Settings that make Prefect's temporary local server reliable on small machines."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


class UnsafeWarehousePath(ValueError):
    """A warehouse folder DuckDB cannot keep its databases in."""


@dataclass(frozen=True)
class WarehouseLayout:
    """Where one warehouse keeps its files.

    raw.duckdb        landed rows with lineage, the load ledger and rejected rows (persistent)
    build/<run>.duckdb  the database dbt builds for one run (write side of write-audit-publish)
    published.duckdb  what dashboards read; replaced atomically only after a passing audit
    generations/      the last few published files, for rollback
    runs/<run>/       the run report, audit results and Data Docs of each run
    state/last_build.duckdb  the build behind the published data: the next run's dbt
                      build starts from a copy of it (incremental models; ipskpi.incremental)
    """

    root: Path

    def __post_init__(self) -> None:
        if "?" in str(self.root):
            raise UnsafeWarehousePath(
                f"the warehouse path {str(self.root)!r} contains '?': DuckDB reads a '?' in a "
                "database path as the start of options and would put the write-ahead log of "
                "raw.duckdb somewhere else; choose a warehouse folder without '?' (any other "
                "character, quotes and spaces included, is fine)"
            )

    @property
    def raw_db(self) -> Path:
        return self.root / "raw.duckdb"

    @property
    def published_db(self) -> Path:
        return self.root / "published.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def generations_dir(self) -> Path:
        return self.root / "generations"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def lock_file(self) -> Path:
        return self.root / "refresh.lock"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def last_build_db(self) -> Path:
        return self.state_dir / "last_build.duckdb"

    @property
    def last_build_info(self) -> Path:
        return self.state_dir / "last_build.json"

    def build_db(self, run_id: str) -> Path:
        return self.build_dir / f"{run_id}.duckdb"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def ensure(self) -> None:
        for d in (self.root, self.build_dir, self.generations_dir, self.runs_dir):
            d.mkdir(parents=True, exist_ok=True)
