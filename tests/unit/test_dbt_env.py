"""One builder of dbt's environment and arguments (ipskpi.dbt_runner.dbt_env / dbt_args)."""

from __future__ import annotations

from pathlib import Path

from ipskpi.config import PROFILES_DIR, PROJECT_DIR
from ipskpi.dbt_runner import dbt_args, dbt_env

ROOT = Path(__file__).resolve().parents[2]
# What only the builder may write: the profile's database variables, dbt's opt-out, the folders.
BUILDER_ONLY = ('"--profiles-dir"', "DBT_SEND_ANONYMOUS_USAGE_STATS", "IPSKPI_BUILD_DB=", "IPSKPI_RAW_DB=")


def test_dbt_env_points_the_profile_at_the_databases_and_keeps_the_process_environment(monkeypatch):
    monkeypatch.setenv("IPSKPI_DUCKDB_MEMORY_LIMIT", "1GB")
    monkeypatch.delenv("IPSKPI_SPARK_DIR", raising=False)
    env = dbt_env(
        build_db=Path("/x/build.duckdb"), raw_db=Path("/x/raw.duckdb"), extra={"DBT_LOG_PATH": "/x/l"}
    )
    assert env["IPSKPI_BUILD_DB"] == "/x/build.duckdb"
    assert env["IPSKPI_RAW_DB"] == "/x/raw.duckdb"
    assert "IPSKPI_SPARK_DIR" not in env
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert env["DO_NOT_TRACK"] == "1"
    assert env["DBT_LOG_PATH"] == "/x/l"
    assert env["IPSKPI_DUCKDB_MEMORY_LIMIT"] == "1GB"
    assert dbt_env(spark_dir=Path("/s"))["IPSKPI_SPARK_DIR"] == "/s"


def test_dbt_args_name_the_project_and_its_profiles():
    args = dbt_args(
        ["build", "--select", "x"], target="duckdb", target_path=Path("/t"), log_path=Path("/t/l")
    )
    assert args[:3] == ["build", "--select", "x"]
    pairs = dict(zip(args[3::2], args[4::2], strict=True))
    assert pairs == {
        "--target": "duckdb",
        "--project-dir": str(PROJECT_DIR),
        "--profiles-dir": str(PROFILES_DIR),
        "--target-path": "/t",
        "--log-path": "/t/l",
    }
    assert dbt_args(["parse"]) == [
        "parse",
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROFILES_DIR),
    ]


def test_no_module_builds_the_dbt_environment_but_the_builder():
    builder = ROOT / "ipskpi" / "dbt_runner.py"
    found = []
    for folder in ("ipskpi", "flows", "benchmarks", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in (builder, Path(__file__).resolve()):
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {s}" for s in BUILDER_ONLY if s in text]
    assert not found, "build dbt's environment with ipskpi.dbt_runner.dbt_env / dbt_args:\n" + "\n".join(
        found
    )
