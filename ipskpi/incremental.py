"""Nightly builds that extend the last published build instead of starting from nothing.

The dbt project's current-version models (``int_*_current``) are incremental: given the
tables of an earlier build, they rank only the records that later loads touched. Each
run still builds into a file of its own (write-audit-publish): it starts as a copy of the
build behind the published data, kept as ``state/last_build.duckdb`` when that build was
published, and only a passing audit makes the new build the next night's starting point.

A run builds in full, from an empty file, when asked to (``--full-refresh``), when there
is no earlier build, when the dbt project (models, macros, seeds, dbt_project.yml) has
changed since that build, or when the raw layer's history is not the one that build saw
(for example, raw.duckdb was rebuilt). tests/integration/test_incremental.py shows that
an incremental build and a full one agree, table by table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ipskpi.config import PROJECT_DIR, WarehouseLayout

PROJECT_INPUTS = ("dbt_project.yml", "models", "macros", "seeds")


@dataclass(frozen=True)
class BuildStart:
    """How a run's build database begins: ``incremental`` (a copy of the last build) or ``full``."""

    mode: str
    reason: str

    def describe(self) -> str:
        return f"{self.mode}: {self.reason}"


def project_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """SHA-256 over the names and bytes of everything that defines what dbt builds."""
    digest = hashlib.sha256()
    for name in PROJECT_INPUTS:
        path = project_dir / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(project_dir)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _raw_history(raw_db: Path, up_to: str | None = None) -> dict:
    """How many loads the ledger holds (up to a time, if given) and the newest load time."""
    con = duckdb.connect(str(raw_db), read_only=True)
    try:
        if up_to is None:
            loads, last = con.execute(
                "select count(*), cast(max(loaded_at) as varchar) from ingest.load_ledger"
            ).fetchone()
        else:
            loads, last = con.execute(
                "select count(*), cast(max(loaded_at) as varchar) from ingest.load_ledger "
                "where loaded_at <= cast(? as timestamp)",
                [up_to],
            ).fetchone()
    finally:
        con.close()
    return {"loads": loads, "last_loaded_at": last}


def start_build(layout: WarehouseLayout, run_id: str, full_refresh: bool = False) -> BuildStart:
    """Put the run's build database in place: a copy of the last build, or nothing (full build)."""
    build_db = layout.build_db(run_id)
    build_db.unlink(missing_ok=True)
    if full_refresh:
        return BuildStart("full", "a full refresh was asked for")
    if not layout.last_build_db.exists() or not layout.last_build_info.exists():
        return BuildStart("full", "no earlier published build to extend")
    try:
        info = json.loads(layout.last_build_info.read_text())
    except (OSError, ValueError):
        return BuildStart("full", f"{layout.last_build_info.name} is unreadable")
    if info.get("project_fingerprint") != project_fingerprint():
        return BuildStart("full", "the dbt project changed since the last published build")
    seen = info.get("raw_history", {})
    if not layout.raw_db.exists() or _raw_history(layout.raw_db, seen.get("last_loaded_at")) != seen:
        return BuildStart("full", "the raw layer's history is not the one the last build saw")
    shutil.copyfile(layout.last_build_db, build_db)
    return BuildStart("incremental", f"extends the build of run {info.get('run_id')}")


def keep_build(layout: WarehouseLayout, run_id: str) -> None:
    """After publishing, keep this run's build as the next run's starting point (atomic moves)."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    info = {
        "run_id": run_id,
        "project_fingerprint": project_fingerprint(),
        "raw_history": _raw_history(layout.raw_db),
    }
    tmp_info = layout.last_build_info.with_suffix(".json.tmp")
    tmp_info.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(layout.build_db(run_id), layout.last_build_db)
    os.replace(tmp_info, layout.last_build_info)
