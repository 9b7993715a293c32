"""The benchmark's landings must be landings the refresh reads, not a night of refusals.

benchmarks/harness.py assembles k times national from generated returns. It once did so
with symbolic links, which the refresh refuses (it never follows a link out of the
landing), so the nightly benchmark measured a night that refused every file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ipskpi.config import SAMPLE_LANDING
from ipskpi.ingest.landing import check_landing, walk_provider_returns, walk_public_folder
from ipskpi.ingest.public import SOURCES

HARNESS = Path(__file__).resolve().parents[2] / "benchmarks" / "harness.py"


def _harness():
    spec = importlib.util.spec_from_file_location("bench_harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_harness", module)
    spec.loader.exec_module(module)
    return module


def test_a_landing_the_harness_assembles_is_read_whole(tmp_path):
    harness = _harness()
    landing = tmp_path / "landing"
    landing.mkdir()
    for folder in harness.PUBLIC_FOLDERS:
        harness._link(SAMPLE_LANDING / folder, landing / folder)
    harness._link_all(SAMPLE_LANDING / "provider_returns", landing / "provider_returns")

    links = [p for p in landing.rglob("*") if p.is_symlink()]
    assert links == []
    root, top = check_landing(landing)
    assert [e for e in top if e.status == "refused"] == []
    returns = walk_provider_returns(root / "provider_returns", root)
    sample = walk_provider_returns(SAMPLE_LANDING / "provider_returns", SAMPLE_LANDING.resolve())
    assert [e.message for e in returns.entries if e.status == "refused"] == []
    assert len(returns.deliveries) == len(sample.deliveries) > 0
    for source in SOURCES:
        walk = walk_public_folder(root / source, root, source)
        assert [e.message for e in walk.entries if e.status == "refused"] == [], source
    # Hard links: the same files, no copy of the national landing's gigabytes.
    one = next(p for p in (landing / "provider_returns").rglob("*") if p.is_file())
    original = SAMPLE_LANDING / "provider_returns" / one.relative_to(landing / "provider_returns")
    assert one.stat().st_ino == original.resolve().stat().st_ino


def test_a_night_that_refused_files_is_not_taken_as_a_measurement():
    harness = _harness()
    output = (
        "IPS KPI refresh 20261202T0400: PUBLISHED\n"
        "  Files     0 loaded, 57 refused, 16700 unchanged since an earlier load (skipped), "
        "0 not recognised, 0 ignored (16757 in the landing)\n"
        "  Rows      0 loaded, 0 rejected\n"
        "  Time      ingest 3s, dbt build 90s\n"
    )
    record = harness._refresh_record({"wall_s": 100.0}, output)
    assert (record["files_refused"], record["files_not_recognised"]) == (57, 0)
    assert record["stages_s"] == {"ingest": 3.0, "dbt build": 90.0}
