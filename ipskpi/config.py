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


def _check_warehouse_path(root: Path) -> None:
    """DuckDB reads what follows a ``?`` in a database path as options and puts the
    write-ahead log of ``/a?b/raw.duckdb`` at ``/a.wal?b/raw.duckdb``, so no database under
    such a folder can be written; a NUL cannot be in a path at all."""
    text = str(root)
    if "?" in text or "\x00" in text:
        raise UnsafeWarehousePath(
            f"the warehouse path {text!r} contains '?': DuckDB reads a '?' in a "
            "database path as the start of options and would put the write-ahead log of "
            "raw.duckdb somewhere else; choose a warehouse folder without '?' (any other "
            "character, quotes and spaces included, is fine)"
        )


@dataclass(frozen=True)
class WarehouseLayout:
    """Where one warehouse keeps its files (README, "Warehouse layout").

    public/           -> current/public: what anyone may read (public.duckdb, exports/,
                      reports/, docs/); copy it whole to a web server or a public BI workspace
    restricted/       -> current/restricted: exact counts and run history (restricted.duckdb,
                      exports/, docs/), for the data-sharing agreement's audience only
    current           -> generations/<run>: the published generation; one atomic symlink
                      swap replaces (or rolls back) both trees together
    generations/<run>/  each published generation: public/ and restricted/ (the last few
                      are kept, for rollback)
    raw.duckdb        landed rows with lineage, the load ledger and rejected rows (persistent)
    build/<run>.duckdb  the database dbt builds for one run (write side of write-audit-publish)
    blocked/<run>.duckdb  the build databases of the last few blocked runs, to inspect
    runs/<run>/       the run report, audit results and dbt artefacts of each run
    state/last_build.duckdb  the build behind the published data: the next run's dbt
                      build starts from a copy of it (incremental models; ipskpi.incremental)
    gx/               Great Expectations context and Data Docs
    Modes by audience: ipskpi.permissions.
    """

    root: Path

    def __post_init__(self) -> None:
        _check_warehouse_path(self.root)

    @property
    def raw_db(self) -> Path:
        return self.root / "raw.duckdb"

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    @property
    def public_dir(self) -> Path:
        return self.root / "public"

    @property
    def restricted_dir(self) -> Path:
        return self.root / "restricted"

    @property
    def public_db(self) -> Path:
        return self.public_dir / "public.duckdb"

    @property
    def restricted_db(self) -> Path:
        return self.restricted_dir / "restricted.duckdb"

    @property
    def published_db(self) -> Path:
        """The restricted database (every mart and the run history); was ``published.duckdb``."""
        return self.restricted_db

    @property
    def public_exports(self) -> Path:
        return self.public_dir / "exports"

    @property
    def restricted_exports(self) -> Path:
        return self.restricted_dir / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.public_dir / "reports"

    @property
    def public_docs(self) -> Path:
        return self.public_dir / "docs" / "index.html"

    @property
    def restricted_docs(self) -> Path:
        return self.restricted_dir / "docs" / "index.html"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def blocked_dir(self) -> Path:
        return self.root / "blocked"

    @property
    def generations_dir(self) -> Path:
        return self.root / "generations"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    @property
    def gx_dir(self) -> Path:
        return self.root / "gx"

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

    def blocked_build_db(self, run_id: str) -> Path:
        return self.blocked_dir / f"{run_id}.duckdb"

    def run_dir(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def check_path(self) -> None:
        """Refuse a path DuckDB mishandles (see ``__post_init__``); every other character is
        fine: paths never reach SQL unquoted (ipskpi.sql) and never reach a shell."""
        _check_warehouse_path(self.root)

    def ensure(self) -> None:
        self.check_path()
        for d in (self.root, self.build_dir, self.generations_dir, self.runs_dir):
            d.mkdir(parents=True, exist_ok=True)
