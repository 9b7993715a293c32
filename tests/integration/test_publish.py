"""Write-audit-publish on real DuckDB files: two trees swapped together, kept generations,
rollback, file modes by audience whatever the umask, and warehouse paths no SQL can break."""

from __future__ import annotations

import os
import shutil
import stat
import uuid
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import UnsafeWarehousePath, WarehouseLayout
from ipskpi.history import ensure_history
from ipskpi.permissions import restricted_umask, secure_warehouse
from ipskpi.publish import KEEP_GENERATIONS, current_release, generations, publish, rollback
from ipskpi.sql import ident as identifier
from ipskpi.sql import literal
from tests.permissions_check import (
    assert_modes,
    can_make_accounts,
    make_account,
    public_and_restricted,
    reads_as,
    remove_account,
)

NASTY = 'it\'s a $(touch pwned) `id`; & | * [x] ~ "q" \\ wh'


def build_with(tmp_path: Path, name: str, value: int) -> Path:
    path = tmp_path / f"{name}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_kpi_scorecard as select 'ENG' as org_code, {value} as value")
    con.execute(
        f"create table marts.fct_kpi_scorecard_public as select 'ENG' as org_code, {value * 5} as value"
    )
    con.execute("create table marts.dim_kpis as select 'job_starts' as kpi_code")
    con.execute("create table marts.fct_intake as select 'RX4' as org_code, 3 as numerator")
    con.execute("create table marts.int_hidden as select 1 as x")
    con.close()
    return path


def new_layout(root: Path) -> WarehouseLayout:
    layout = WarehouseLayout(root)
    layout.ensure()
    raw = duckdb.connect(str(layout.raw_db))
    ensure_history(raw)
    raw.close()
    return layout


def value_in(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select value from {table}").fetchone()[0]
    finally:
        con.close()


def tables_in(db: Path) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        con.close()


def test_the_differencing_checks_record_is_published_in_the_restricted_tree_only(tmp_path):
    layout = new_layout(tmp_path / "wh")
    build = build_with(tmp_path, "b1", 1)
    con = duckdb.connect(str(build))
    con.execute("create schema disclosure_check")
    con.execute(
        "create table disclosure_check.part_facts as select 'job_starts' as kpi_code, 2024 as financial_year"
    )
    con.close()

    publication = publish(build, layout.raw_db, layout, "run1")

    assert "disclosure_check.part_facts" in publication.restricted_tables
    con = duckdb.connect(str(layout.restricted_db), read_only=True)
    assert con.execute("select * from disclosure_check.part_facts").fetchall() == [("job_starts", 2024)]
    con.close()
    con = duckdb.connect(str(layout.public_db), read_only=True)
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    con.close()
    assert "disclosure_check" not in schemas and "part_facts" not in tables_in(layout.public_db)


def test_publish_writes_a_public_and_a_restricted_tree_and_rollback_swaps_both_back(tmp_path):
    layout = new_layout(tmp_path / "wh")
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")
    assert value_in(layout.restricted_db, "fct_kpi_scorecard") == 2
    assert value_in(layout.public_db, "fct_kpi_scorecard_public") == 10
    assert tables_in(layout.public_db) == {"fct_kpi_scorecard_public", "dim_kpis"}
    restricted = tables_in(layout.restricted_db)
    assert {"fct_kpi_scorecard", "fct_intake", "fct_kpi_scorecard_public", "refresh_runs"} <= restricted
    assert "int_hidden" not in restricted
    assert sorted(p.name for p in layout.public_exports.iterdir()) == [
        "dim_kpis.csv",
        "dim_kpis.parquet",
        "fct_kpi_scorecard_public.csv",
        "fct_kpi_scorecard_public.parquet",
    ]
    assert (layout.restricted_exports / "fct_intake.parquet").exists()
    # Both trees come from the same generation, behind one symlink.
    assert (
        layout.public_dir.resolve().parent
        == layout.restricted_dir.resolve().parent
        == current_release(layout)
    )
    assert [g.name for g in generations(layout)] == ["run1"]
    rollback(layout)
    assert value_in(layout.restricted_db, "fct_kpi_scorecard") == 1
    assert value_in(layout.public_db, "fct_kpi_scorecard_public") == 5
    assert current_release(layout).name == "run1" and generations(layout) == []
    assert not list(layout.generations_dir.glob("*.tmp")) and not list(layout.root.glob("*.link.tmp"))
    with pytest.raises(FileNotFoundError, match="no earlier generation"):
        rollback(layout)


def test_only_the_last_generations_are_kept(tmp_path):
    layout = new_layout(tmp_path / "wh")
    for i in range(KEEP_GENERATIONS + 3):
        publish(build_with(tmp_path, f"b{i}", i), layout.raw_db, layout, f"run{i}")
    kept = generations(layout)
    assert [g.name for g in kept] == [f"run{i}" for i in range(KEEP_GENERATIONS + 1, 1, -1)]
    assert current_release(layout).name == f"run{KEEP_GENERATIONS + 2}"


def test_a_leftover_stage_of_a_killed_publish_is_removed_and_never_published(tmp_path):
    layout = new_layout(tmp_path / "wh")
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    stage = layout.generations_dir / "killed.tmp" / "public"
    stage.mkdir(parents=True)
    (stage / "public.duckdb").write_text("half written")
    publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")
    assert not (layout.generations_dir / "killed.tmp").exists()
    assert [g.name for g in generations(layout)] == ["run1"]


def test_publish_into_a_warehouse_path_no_sql_or_shell_can_break(tmp_path):
    """A path with ' " spaces $() ` ; & | * [ ] ~ \\ is written and read back as it is."""
    root = tmp_path / NASTY / "warehouse"
    layout = new_layout(root)
    build = build_with(root.parent, "build it's $(x);", 3)
    publish(build, layout.raw_db, layout, "run'1;drop")
    publish(build_with(root.parent, "b2 [x] *", 4), layout.raw_db, layout, "run2 * [a]")
    assert value_in(layout.restricted_db, "fct_kpi_scorecard") == 4
    assert (layout.public_exports / "fct_kpi_scorecard_public.parquet").exists()
    parquet = layout.restricted_exports / "fct_kpi_scorecard.parquet"
    assert duckdb.execute("select value from read_parquet(?)", [str(parquet)]).fetchone()[0] == 4
    rollback(layout)
    assert value_in(layout.restricted_db, "fct_kpi_scorecard") == 3
    assert not list(tmp_path.rglob("pwned")), "a path was run by a shell"


def test_a_warehouse_path_with_a_question_mark_is_refused_before_anything_is_written(tmp_path):
    """DuckDB puts the WAL of /a?b/x.duckdb at /a.wal?b/x.duckdb: refuse, clearly, up front."""
    build = build_with(tmp_path, "b1", 1)
    root = tmp_path / "wh?x=1"
    with pytest.raises(UnsafeWarehousePath, match=r"contains .\?."):
        WarehouseLayout(root).ensure()
    layout = WarehouseLayout.__new__(WarehouseLayout)  # as if made before the check existed
    object.__setattr__(layout, "root", root)
    with pytest.raises(UnsafeWarehousePath):
        publish(build, tmp_path / "raw.duckdb", layout, "run1")
    assert not root.exists()


def test_sql_quote_doubles_quotes_and_refuses_nul():
    assert literal("it's") == "'it''s'"
    assert identifier('a"b') == '"a""b"'
    assert duckdb.sql(f"select {literal(NASTY)} as {identifier(NASTY)}").fetchone()[0] == NASTY
    with pytest.raises(ValueError):
        literal("a\x00b")


def test_modes_fit_each_audience_after_publish_and_rollback_even_with_umask_000(tmp_path):
    layout = WarehouseLayout(tmp_path / "wh")
    previous = os.umask(0)
    try:
        with restricted_umask() as modes:
            new_layout(layout.root)
            (layout.runs_dir / "run1").mkdir()
            (layout.runs_dir / "run1" / "report.md").write_text("rejected value: 1234567890")
            publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
            publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")
            secure_warehouse(layout, "run1", current=modes)
        assert os.umask(0) == 0, "the caller's umask is restored"
        assert assert_modes(layout) > 20
        with restricted_umask():
            rollback(layout)
        assert assert_modes(layout) > 10
    finally:
        os.umask(previous)


def test_files_of_an_older_layout_are_made_restricted(tmp_path):
    layout = new_layout(tmp_path / "wh")
    old = layout.root / "published.duckdb"
    duckdb.connect(str(old)).close()
    (layout.root / "exports-run0").mkdir()
    (layout.root / "exports-run0" / "fct_kpi_scorecard.csv").write_text("org_code,value\nRX4,3\n")
    for path in (old, layout.root / "exports-run0", layout.root / "exports-run0" / "fct_kpi_scorecard.csv"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    secure_warehouse(layout)  # as the refresh does at its start and its end
    assert assert_modes(layout) > 10


def test_another_account_reads_the_public_tree_and_nothing_else(tmp_path):
    """As root (CI): a second Unix account; otherwise the mode bits checked above stand in."""
    if not can_make_accounts():
        pytest.skip("needs root and useradd to create a second account; modes are checked by bits")
    user = make_account()
    parent = Path(f"/tmp/ipskpi-test-{uuid.uuid4().hex[:8]}")  # a folder others may pass through
    try:
        parent.mkdir()
        os.chmod(parent, 0o711)
        with restricted_umask() as modes:
            layout = new_layout(parent / "wh")
            (layout.runs_dir / "run1").mkdir()
            (layout.runs_dir / "run1" / "report.md").write_text("rejected value")
            publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
            secure_warehouse(layout, "run1", current=modes)
        public, restricted = public_and_restricted(layout)
        assert layout.raw_db in restricted and layout.restricted_db.resolve() in restricted
        assert layout.public_db.resolve() in public
        results = reads_as(user, public + restricted + [layout.public_db, layout.restricted_db])
        assert {p for p, r in results.items() if r == "read"} == set(public) | {layout.public_db}
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        remove_account(user)


def test_files_are_born_owner_only_under_the_refresh_umask_even_if_the_caller_s_is_000(tmp_path):
    previous = os.umask(0)
    try:
        with restricted_umask():
            (tmp_path / "born.txt").write_text("x")
            (tmp_path / "born").mkdir()
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "born.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "born").stat().st_mode) == 0o700


def test_a_blocked_run_s_build_is_kept_and_only_the_last_three(tmp_path):
    from flows.refresh import KEEP_BLOCKED_BUILDS, keep_blocked_build

    layout = new_layout(tmp_path / "wh")
    kept = []
    for i in range(KEEP_BLOCKED_BUILDS + 2):
        shutil.copyfile(build_with(tmp_path, f"b{i}", i), layout.build_db(f"run{i}"))
        os.utime(layout.build_db(f"run{i}"), (1_000_000 + i, 1_000_000 + i))
        kept.append(keep_blocked_build(layout, f"run{i}"))
        assert not layout.build_db(f"run{i}").exists()
    assert sorted(layout.blocked_dir.glob("*.duckdb")) == kept[-KEEP_BLOCKED_BUILDS:]
    assert value_in(kept[-1], "marts.fct_kpi_scorecard") == KEEP_BLOCKED_BUILDS + 1
    assert keep_blocked_build(layout, "never-built") is None
