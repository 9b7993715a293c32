"""dbt docs are reused only for the same project and the same tables and columns."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ipskpi import docs_cache
from ipskpi.config import WarehouseLayout


def make_layout(tmp_path: Path, run_id: str) -> WarehouseLayout:
    layout = WarehouseLayout(tmp_path / "warehouse")
    layout.build_db(run_id).parent.mkdir(parents=True)
    for database, table in ((layout.raw_db, "returns"), (layout.build_db(run_id), "fct_x")):
        con = duckdb.connect(str(database))
        con.execute(f"create table {table} (a integer, b varchar)")
        con.execute(f"insert into {table} values (1, 'x')")
        con.close()
    return layout


def docs_target(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True)
    for name in docs_cache.DOCS_FILES:
        (folder / name).write_text(f"{name} {text}")
    return folder


def test_docs_kept_for_a_fingerprint_are_restored_for_that_fingerprint_only(tmp_path):
    layout = make_layout(tmp_path, "run1")
    first = docs_cache.docs_fingerprint(layout, "run1")
    docs_cache.store(layout, first, docs_target(tmp_path / "t1", "of run1"), "run1")

    target = tmp_path / "t2"
    assert docs_cache.restore(layout, first, target) == "run1"
    assert (target / "static_index.html").read_text() == "static_index.html of run1"
    assert docs_cache.restore(layout, "another", tmp_path / "t3") is None
    assert not (tmp_path / "t3").exists()


def test_new_rows_keep_the_fingerprint_and_a_new_column_changes_it(tmp_path):
    layout = make_layout(tmp_path, "run1")
    first = docs_cache.docs_fingerprint(layout, "run1")
    con = duckdb.connect(str(layout.raw_db))
    con.execute("insert into returns values (2, 'y')")
    con.close()
    assert docs_cache.docs_fingerprint(layout, "run1") == first
    con = duckdb.connect(str(layout.build_db("run1")))
    con.execute("alter table fct_x add column c date")
    con.close()
    assert docs_cache.docs_fingerprint(layout, "run1") != first


def test_the_audits_differencing_record_carried_by_the_build_keeps_the_fingerprint(tmp_path):
    # A night's build starts from the last published one, which carries the audit's
    # disclosure_check schema (ipskpi.disclosure): the docs do not describe it.
    layout = make_layout(tmp_path, "run1")
    first = docs_cache.docs_fingerprint(layout, "run1")
    con = duckdb.connect(str(layout.build_db("run1")))
    con.execute("create schema disclosure_check")
    con.execute("create table disclosure_check.part_facts (kpi_code varchar, financial_year integer)")
    con.close()
    assert docs_cache.docs_fingerprint(layout, "run1") == first


def test_a_cache_without_its_record_or_a_file_is_never_used(tmp_path):
    layout = make_layout(tmp_path, "run1")
    fingerprint = docs_cache.docs_fingerprint(layout, "run1")
    docs_cache.store(layout, fingerprint, docs_target(tmp_path / "t1", "of run1"), "run1")
    (layout.state_dir / "docs" / "catalog.json").unlink()
    assert docs_cache.restore(layout, fingerprint, tmp_path / "t2") is None
    docs_cache.store(layout, fingerprint, docs_target(tmp_path / "t3", "of run2"), "run2")
    (layout.state_dir / "docs" / "docs.json").unlink()
    assert docs_cache.restore(layout, fingerprint, tmp_path / "t4") is None
