"""Write-audit-publish on real DuckDB files: two trees swapped together, kept generations,
rollback, file modes by audience whatever the umask, and warehouse paths no SQL can break."""

from __future__ import annotations

import os
import shutil
import json
import pwd
import stat
import subprocess
import uuid
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import UnsupportedWarehousePath, WarehouseLayout
from ipskpi.history import ensure_history
from ipskpi.permissions import PUBLIC, restricted_umask, secure_warehouse
from ipskpi.publish import KEEP_GENERATIONS, current_release, generations, publish, rollback
from ipskpi.sql_quote import identifier, literal

NASTY = "it's a $(touch pwned) `id`; & | * [x] ~ \"q\" \\ wh"


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
    assert layout.public_dir.resolve().parent == layout.restricted_dir.resolve().parent == current_release(layout)
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
    layout = WarehouseLayout(tmp_path / "wh?x=1")
    with pytest.raises(UnsupportedWarehousePath, match=r"containing '\?'"):
        layout.ensure()
    with pytest.raises(UnsupportedWarehousePath):
        publish(build, tmp_path / "raw.duckdb", layout, "run1")
    assert not layout.root.exists()


def test_sql_quote_doubles_quotes_and_refuses_nul():
    assert literal("it's") == "'it''s'"
    assert identifier('a"b') == '"a""b"'
    assert duckdb.sql(f"select {literal(NASTY)} as {identifier(NASTY)}").fetchone()[0] == NASTY
    with pytest.raises(ValueError):
        literal("a\x00b")


def walk(root: Path):
    """Every file and folder under ``root`` (links themselves skipped, never followed)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            if not path.is_symlink():
                yield path


def audience_of(layout: WarehouseLayout, path: Path) -> str:
    relative = path.relative_to(layout.root).parts
    if relative[0] == "generations" and len(relative) >= 3 and relative[2] == PUBLIC:
        return "public"
    if relative[0] == "generations" and len(relative) <= 2 and path.is_dir():
        return "pass-through"
    return "restricted"


def assert_modes(layout: WarehouseLayout, group: bool = False) -> int:
    """Public files 0644 in 0755 folders, pass-through 0711, everything else owner-only."""
    expected = {
        ("public", False): 0o644,
        ("public", True): 0o755,
        ("pass-through", True): 0o751 if group else 0o711,
        ("restricted", False): 0o640 if group else 0o600,
        ("restricted", True): 0o2750 if group else 0o700,
    }
    assert stat.S_IMODE(layout.root.stat().st_mode) == expected[("pass-through", True)]
    checked = 0
    for path in walk(layout.root):
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = expected[(audience_of(layout, path), path.is_dir())]
        assert mode == want, f"{path.relative_to(layout.root)}: {mode:04o}, expected {want:04o}"
        checked += 1
    return checked


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


def _other_user() -> str | None:
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        return None
    name = f"ipskpi-t{uuid.uuid4().hex[:8]}"
    done = subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name])
    return name if done.returncode == 0 else None


OTHER_USER_READS = """
import json, os, sys
results = {}
for path in json.loads(sys.argv[1]):
    try:
        with open(path, "rb") as handle:
            handle.read(16)
        results[path] = "read"
    except OSError as exc:
        results[path] = type(exc).__name__
print(json.dumps(results))
"""


def test_another_account_reads_the_public_tree_and_nothing_else(tmp_path):
    """As root (CI): a second Unix account; otherwise the mode bits checked above stand in."""
    python = shutil.which("python3", path="/usr/bin:/bin")  # the venv's may live under /root
    user = _other_user() if python else None
    if user is None:
        pytest.skip("needs root and useradd to create a second account; modes are checked by bits")
    try:
        parent = Path(f"/tmp/i18-other-{uuid.uuid4().hex[:8]}")  # a folder others may pass through
        parent.mkdir(mode=0o711)
        os.chmod(parent, 0o711)
        try:
            with restricted_umask():
                layout = new_layout(parent / "wh")
                (layout.runs_dir / "run1").mkdir()
                (layout.runs_dir / "run1" / "report.md").write_text("rejected value")
                publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
            public = [layout.public_db, layout.public_exports / "fct_kpi_scorecard_public.parquet"]
            restricted = [
                layout.raw_db,
                layout.restricted_db,
                layout.restricted_exports / "fct_kpi_scorecard.csv",
                layout.runs_dir / "run1" / "report.md",
            ]
            account = pwd.getpwnam(user)
            done = subprocess.run(
                [python, "-c", OTHER_USER_READS, json.dumps([str(p) for p in public + restricted])],
                user=account.pw_uid,
                group=account.pw_gid,
                extra_groups=[],
                capture_output=True,
                text=True,
                cwd="/",
                env={"PATH": os.environ.get("PATH", "")},
            )
            assert done.returncode == 0, done.stderr
            results = json.loads(done.stdout)
            assert {p: results[str(p)] for p in public} == {p: "read" for p in public}
            assert {p: results[str(p)] for p in restricted} == {p: "PermissionError" for p in restricted}
        finally:
            shutil.rmtree(parent, ignore_errors=True)
    finally:
        subprocess.run(["userdel", user], check=False)
