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


def _run(wall: float, status: str = "published", cap: str | None = None) -> dict:
    return {
        "wall_s": wall,
        "peak_rss_mb": 3000,
        "status": status,
        "memory_limit": cap,
        "rows_loaded": 10,
        "stages_s": {"ingest": wall / 2},
        "other_s": 1.0,
        "load_avg_before": 0.9,
    }


def _results(five_full: dict, five_nightly: dict) -> dict:
    return {
        "machine": {"cores": 2},
        "sample": {"runs": [_run(40.0)]},
        "scales": {
            "1": {
                "landing": {"provider_returns": 3350, "provider_return_mb": 728.0},
                "full_refresh": {"runs": [_run(100.0)]},
                "nightly": {"runs": [_run(31.0)], "new_month": "2026-04"},
                "floor": {
                    "runs": [{}],
                    "median": {
                        "runs": 1,
                        "floor_s": 40.0,
                        "load_s": 10.0,
                        "models_s": 30.0,
                        "peak_rss_mb": 900,
                    },
                },
                "pandas_peer": {"median": {"runs": 1, "wall_s": 1000.0, "peak_rss_mb": 4000}},
            },
            "5": {
                "landing": {"provider_returns": 16750, "provider_return_mb": 3653.0},
                "full_refresh": {"runs": [five_full]},
                "nightly": {"runs": [five_nightly], "new_month": "2026-04"},
            },
        },
    }


def test_the_goals_are_read_from_the_runs_and_a_cap_counts_only_when_it_was_set():
    harness = _harness()
    goals = {
        goal: (measured, met)
        for goal, _, measured, met in harness.goals(
            _results(_run(900.0, cap="4GB"), _run(300.0, "blocked", "4GB"))
        )
    }
    assert goals["national nightly (+1 month), wall"] == ("31 s", False)
    assert goals["national full refresh, wall"] == ("100 s", True)
    assert goals["national full refresh / floor"] == ("2.5x", False)
    assert goals["pandas peer / national full refresh"] == ("10.00x", True)
    assert goals["sample quick start, wall"] == ("40 s", True)
    assert goals["5x national full refresh under a 4GB cap"] == ("published under 4GB, peak 3,000 MB", True)
    assert goals["5x national nightly under a 4GB cap"][1] is False  # blocked: did not publish
    uncapped = dict((g, met) for g, _, _, met in harness.goals(_results(_run(900.0), _run(300.0))))
    assert uncapped["5x national full refresh under a 4GB cap"] is False  # published, but with no cap


def test_a_capped_run_passes_its_cap_to_duckdb_and_an_uncapped_one_clears_it():
    harness = _harness()
    assert harness.capped_env({"IPSKPI_DUCKDB_MEMORY_LIMIT": "1GB", "A": "b"}, None) == {"A": "b"}
    assert harness.capped_env({}, "4GB") == {"IPSKPI_DUCKDB_MEMORY_LIMIT": "4GB"}
    table = harness.render_table(_results(_run(900.0, cap="4GB"), _run(300.0, "blocked", "4GB")))
    assert "| 5x | 16,750 (3,653) | 10 | full refresh under a 4GB cap (n=1) | 900 s |" in table
    assert "nightly (+2026-04) under a 4GB cap, 1 of 1 blocked (n=1)" in table
    assert "| sample | bundled | 10 | quick start: full refresh (n=1) | 40 s |" in table
