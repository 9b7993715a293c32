"""Run dbt as a subprocess, the way the dbt community runs it.

dbt-duckdb keeps its database open until the process ends, and DuckDB allows one
writer or many readers, so each dbt command runs in its own process: when it
returns, the build database is closed and can be audited and published.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ipskpi.config import PROFILES_DIR, PROJECT_DIR
from ipskpi.failpoints import failpoint


@dataclass
class DbtResult:
    """Outcome of one dbt command, read from its run_results.json."""

    command: list[str]
    returncode: int
    failures: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    log_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def dbt_executable() -> str:
    """The dbt next to this Python (the project's virtualenv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("dbt is not installed in this environment")
    return found


def dbt_env(
    *,
    build_db: Path | None = None,
    raw_db: Path | None = None,
    spark_dir: Path | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment every dbt invocation of the project gets: this process's, plus the
    databases the profile reads (``IPSKPI_BUILD_DB``, ``IPSKPI_RAW_DB``, ``IPSKPI_SPARK_DIR``;
    profiles/profiles.yml), no usage statistics, then ``extra``."""
    env = dict(os.environ)
    for name, value in (
        ("IPSKPI_BUILD_DB", build_db),
        ("IPSKPI_RAW_DB", raw_db),
        ("IPSKPI_SPARK_DIR", spark_dir),
    ):
        if value is not None:
            env[name] = str(value)
    env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    env.update(extra or {})
    return env


def dbt_args(
    args: list[str],
    *,
    target: str | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
) -> list[str]:
    """``args`` with the project and profiles folders (and a target, target path, log path)."""
    command = [*args]
    if target is not None:
        command += ["--target", target]
    command += ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR)]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    if log_path is not None:
        command += ["--log-path", str(log_path)]
    return command


def run_dbt(
    args: list[str],
    *,
    build_db: Path,
    raw_db: Path,
    target_path: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> DbtResult:
    """Run ``dbt <args>`` against ``build_db`` with ``raw_db`` attached read-only as ``raw``."""
    env = dbt_env(build_db=build_db, raw_db=raw_db, extra=extra_env)
    command = [dbt_executable(), *dbt_args(args, target_path=target_path)]
    if os.environ.get("IPSKPI_CRASH_AT") == "during_dbt":
        # Crash test: let dbt start writing the build database, then kill it and this
        # process together, as a service manager stopping the whole unit would.
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env)
        time.sleep(8)
        process.kill()
        failpoint("during_dbt")
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    return process_result(command, completed, (target_path or PROJECT_DIR / "target") / "run_results.json")


def process_result(
    command: list[str], completed: subprocess.CompletedProcess, results_path: Path
) -> DbtResult:
    """A DbtResult from a finished dbt process: its exit code, log tail and run_results.json."""
    result = DbtResult(command=command, returncode=completed.returncode)
    result.log_tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
    return read_run_results(result, results_path)


def read_run_results(result: DbtResult, results_path: Path) -> DbtResult:
    """Count the nodes of a dbt run by status and keep the errors and failures (run_results.json)."""
    if results_path.exists():
        data = json.loads(results_path.read_text())
        for node in data.get("results", []):
            status = node.get("status")
            result.counts[status] = result.counts.get(status, 0) + 1
            if status in ("error", "fail"):
                result.failures.append(
                    {
                        "node": node.get("unique_id"),
                        "status": status,
                        "message": node.get("message"),
                        "failures": node.get("failures"),
                    }
                )
    return result
