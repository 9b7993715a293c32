"""IPSKPI_DUCKDB_MEMORY_LIMIT caps DuckDB in every stage: dbt (the profile) and the pipeline."""

from __future__ import annotations

import duckdb

from ipskpi.config import duckdb_settings
from ipskpi.dbt_runner import run_dbt

SETTINGS_SQL = (
    "select current_setting('memory_limit') as memory_limit, "
    "current_setting('preserve_insertion_order') as preserve_insertion_order"
)


def _dbt_settings(tmp_path, monkeypatch, limit: str | None) -> str:
    if limit is None:
        monkeypatch.delenv("IPSKPI_DUCKDB_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("IPSKPI_DUCKDB_MEMORY_LIMIT", limit)
    raw = tmp_path / "raw.duckdb"
    duckdb.connect(str(raw)).close()
    result = run_dbt(
        ["show", "--inline", SETTINGS_SQL],
        build_db=tmp_path / "build.duckdb",
        raw_db=raw,
        target_path=tmp_path / "target",
    )
    assert result.ok, result.log_tail
    return result.log_tail


def test_the_dbt_profile_applies_the_memory_limit_and_drops_insertion_order(tmp_path, monkeypatch):
    capped = _dbt_settings(tmp_path, monkeypatch, "1GB")
    assert "953.6 MiB" in capped and "False" in capped  # 1 GB = 10^9 bytes
    uncapped = _dbt_settings(tmp_path, monkeypatch, None)
    assert "953.6 MiB" not in uncapped and "False" in uncapped


def test_the_pipeline_connections_apply_the_same_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("IPSKPI_DUCKDB_MEMORY_LIMIT", "1GB")
    con = duckdb.connect(str(tmp_path / "x.duckdb"), config=duckdb_settings())
    assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    con.close()
    monkeypatch.setenv("IPSKPI_DUCKDB_MEMORY_LIMIT", " ")
    assert duckdb_settings() == {}
