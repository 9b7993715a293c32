"""dbt docs are regenerated only when what they describe has changed.

``dbt docs generate --static`` parses and compiles the whole project and introspects every
table (about a quarter of a sample refresh). Its output depends on the project (models,
macros, seeds, dbt_project.yml, the data tests in tests/dbt), the dbt version, and the
tables and columns of the build and of the raw layer (the catalog) - not on the rows: the
DuckDB adapter records no table statistics (``has_stats`` is false). So the four files the publication reads
(``static_index.html``; ``index.html``, ``manifest.json`` and ``catalog.json``, from which
ipskpi.public_docs builds the public page) are kept in
``state/docs/`` with a fingerprint of those inputs, and a night whose fingerprint is the
same copies them instead of running dbt.

What a reused page still shows from the night it was generated: its "generated at" time
and the name of that night's build database (the run id). The run summary names the run
whose docs were reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib.metadata import version
from pathlib import Path

import duckdb

from ipskpi.config import PROJECT_DIR, WarehouseLayout
from ipskpi.disclosure import AUDIT_SCHEMA
from ipskpi.incremental import project_fingerprint

DOCS_FILES = ("static_index.html", "index.html", "manifest.json", "catalog.json")
# Not dbt's: the audit's record of its differencing check (ipskpi.disclosure), which a build
# started from the last published one carries and the docs do not describe.
_COLUMNS = (
    "select table_schema, table_name, column_name, data_type from information_schema.columns "
    "where table_catalog = current_database() and table_schema <> ? order by all"
)


def _schema(database: Path) -> list[tuple]:
    """Every schema, table, column and type of ``database`` (not its rows)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(_COLUMNS, [AUDIT_SCHEMA]).fetchall()
    finally:
        con.close()


def docs_fingerprint(layout: WarehouseLayout, run_id: str) -> str:
    """SHA-256 over the project, the dbt version and the tables and columns dbt docs describe."""
    digest = hashlib.sha256()
    digest.update(project_fingerprint().encode())
    tests = PROJECT_DIR / "tests" / "dbt"  # the data tests the docs list
    for file in sorted(p for p in tests.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(PROJECT_DIR)).encode())
        digest.update(file.read_bytes())
    digest.update(version("dbt-core").encode())
    digest.update(version("dbt-duckdb").encode())
    for database in (layout.build_db(run_id), layout.raw_db):
        digest.update(json.dumps(_schema(database), default=str).encode())
    return digest.hexdigest()


def _cache(layout: WarehouseLayout) -> Path:
    return layout.state_dir / "docs"


def restore(layout: WarehouseLayout, fingerprint: str, target: Path) -> str | None:
    """Copy the kept docs into ``target`` if they were made for ``fingerprint``; their run id."""
    cache = _cache(layout)
    info = cache / "docs.json"
    try:
        kept = json.loads(info.read_text())
    except (OSError, ValueError):
        return None
    if kept.get("fingerprint") != fingerprint or not all((cache / n).is_file() for n in DOCS_FILES):
        return None
    target.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        shutil.copyfile(cache / name, target / name)
    return str(kept.get("run_id"))


def store(layout: WarehouseLayout, fingerprint: str, target: Path, run_id: str) -> None:
    """Keep this night's docs for the next night (the record is written last)."""
    cache = _cache(layout)
    cache.mkdir(parents=True, exist_ok=True)
    info = cache / "docs.json"
    info.unlink(missing_ok=True)  # a half-replaced cache must never match
    for name in DOCS_FILES:
        tmp = cache / f"{name}.tmp"
        shutil.copyfile(target / name, tmp)
        os.replace(tmp, cache / name)
    tmp = cache / "docs.json.tmp"
    tmp.write_text(json.dumps({"fingerprint": fingerprint, "run_id": run_id}, indent=2) + "\n")
    os.replace(tmp, info)
