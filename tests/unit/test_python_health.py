"""Python habits CI keeps: ruff's lint and format checks pass on the whole repository, and
values reach SQL through the one quoting module (ipskpi/sql.py).

``.ci/run`` runs the README's test command, so these run in CI; ruff is in the dev group.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")
# The SQL-literal helper's body: doubling single quotes belongs to ipskpi.sql.literal alone.
LITERAL_BODY = 'replace("\'", "\'\'")'


def _ruff(*args: str) -> subprocess.CompletedProcess:
    if not RUFF.exists():
        pytest.fail(f"ruff is not installed beside {sys.executable}: uv sync --locked --all-groups")
    return subprocess.run(
        [str(RUFF), *args, "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_check_passes_on_the_repository():
    done = _ruff("check")
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_ruff_format_check_passes_on_the_repository():
    done = _ruff("format", "--check")
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]


def test_one_sql_literal_helper():
    found = [
        str(path.relative_to(ROOT))
        for folder in ("ipskpi", "flows", "benchmarks", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != Path(__file__).resolve() and LITERAL_BODY in path.read_text(encoding="utf-8")
    ]
    assert found == ["ipskpi/sql.py"], f"quote SQL literals with ipskpi.sql.literal, not again in {found}"
