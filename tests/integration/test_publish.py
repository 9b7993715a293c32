"""Write-audit-publish on real DuckDB files: atomic swap, kept generations, rollback."""

from __future__ import annotations

import duckdb

from ipskpi.config import WarehouseLayout
from ipskpi.history import ensure_history
from ipskpi.publish import KEEP_GENERATIONS, generations, publish, rollback


def build_with(tmp_path, name: str, value: int):
    path = tmp_path / f"{name}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_kpi_scorecard as select 'ENG' as org_code, {value} as value")
    con.execute("create table marts.int_hidden as select 1 as x")
    con.close()
    return path


def published_value(layout: WarehouseLayout) -> int:
    con = duckdb.connect(str(layout.published_db), read_only=True)
    try:
        return con.execute("select value from fct_kpi_scorecard").fetchone()[0]
    finally:
        con.close()


def test_publish_swaps_in_only_marts_and_rollback_restores_the_previous_generation(tmp_path):
    layout = WarehouseLayout(tmp_path / "wh")
    layout.ensure()
    raw = duckdb.connect(str(layout.raw_db))
    ensure_history(raw)
    raw.close()
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    assert published_value(layout) == 1
    publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")
    assert published_value(layout) == 2
    con = duckdb.connect(str(layout.published_db), read_only=True)
    tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    con.close()
    assert "fct_kpi_scorecard" in tables and "int_hidden" not in tables and "refresh_runs" in tables
    assert len(generations(layout)) == 1
    rollback(layout)
    assert published_value(layout) == 1
    assert not list(layout.root.glob("*.tmp.duckdb"))


def test_only_the_last_generations_are_kept(tmp_path):
    layout = WarehouseLayout(tmp_path / "wh")
    layout.ensure()
    raw = duckdb.connect(str(layout.raw_db))
    ensure_history(raw)
    raw.close()
    import os
    import time

    for i in range(KEEP_GENERATIONS + 3):
        publish(build_with(tmp_path, f"b{i}", i), layout.raw_db, layout, f"run{i}")
        # generations are named by the replaced file's modification time
        os.utime(layout.published_db, (time.time() + i, time.time() + i))
    assert len(generations(layout)) == KEEP_GENERATIONS
