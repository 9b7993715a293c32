"""``ipskpi serve`` as a user runs it: the scheduler creates the runs, the runner completes them.

The nightly cron cannot be waited for in a test, so the scheduled test serves the same
deployment from a copy of prefect.yaml whose only schedule is every 30 seconds; nothing
else differs from what the README tells a user to run. The run under test must be made by
Prefect's scheduler (``auto_scheduled``, created by the schedule), never by calling the flow.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pytest
import yaml

from ipskpi.config import PROJECT_DIR, SAMPLE_LANDING
from ipskpi.serve import api_healthy, load_deployment, schedules_from, tidy_left_over_runs
from tests.conftest import _free_port, run_cli

LONDON = ZoneInfo("Europe/London")


def every_minute_deployment_file(tmp_path: Path) -> Path:
    """The project's prefect.yaml with the ipskpi-nightly schedule replaced by every 30 s."""
    spec = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text())
    for deployment in spec["deployments"]:
        if deployment["name"] == "ipskpi-nightly":
            deployment["schedules"] = [
                {"interval": 30, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "Europe/London"}
            ]
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def flow_runs(api: str) -> list[dict]:
    response = httpx.post(f"{api}/flow_runs/filter", json={"sort": "EXPECTED_START_TIME_ASC"}, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_serve_scheduler_creates_a_run_that_completes_and_publishes(tmp_path):
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    warehouse = tmp_path / "warehouse"
    env = dict(
        os.environ,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_RUNNER_POLL_FREQUENCY="2",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5",
    )
    env.pop("PREFECT_API_URL", None)  # serve must start (and stop) its own server
    log_path = tmp_path / "serve.log"
    args = [
        *("serve", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)),
        *("--port", str(port), "--no-ui", "--prefect-yaml", str(every_minute_deployment_file(tmp_path))),
    ]
    with open(log_path, "w") as log:
        serve = subprocess.Popen(
            [str(Path(sys.executable).with_name("ipskpi")), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        completed = None
        deadline = time.monotonic() + 780
        while completed is None and time.monotonic() < deadline:
            assert serve.poll() is None, f"serve exited ({serve.returncode}):\n{log_path.read_text()[-3000:]}"
            if api_healthy(api, timeout=2):
                runs = flow_runs(api)
                failed = [r for r in runs if r["state_type"] in ("FAILED", "CRASHED")]
                assert not failed, f"{failed[0]['state_name']}: {log_path.read_text()[-3000:]}"
                completed = next((r for r in runs if r["state_type"] == "COMPLETED"), None)
            time.sleep(3)
        assert completed is not None, f"no run completed:\n{log_path.read_text()[-3000:]}"
        deployment = httpx.get(f"{api}/deployments/{completed['deployment_id']}", timeout=10).json()
        # Stop serve while the next scheduled run is in progress (a sample refresh takes
        # minutes): serve must end it and start nothing more, not wait for it to finish.
        running = None
        deadline = time.monotonic() + 180
        while running is None and time.monotonic() < deadline:
            running = next((r for r in flow_runs(api) if r["state_type"] == "RUNNING"), None)
            time.sleep(1)
        assert running is not None, f"no second run started:\n{log_path.read_text()[-3000:]}"
        time.sleep(5)  # inside the refresh, not at its first line
    finally:
        serve.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        serve.wait(timeout=120)
    stop_seconds = time.monotonic() - stopped_at
    output = log_path.read_text()

    # Made by the scheduler, for the served deployment, at a slot of its schedule.
    assert deployment["name"] == "ipskpi-nightly"
    assert completed["auto_scheduled"] is True
    assert completed["created_by"]["type"] == "SCHEDULE"
    expected = datetime.fromisoformat(completed["expected_start_time"])
    assert expected.second % 30 == 0 and expected.microsecond == 0
    assert datetime.fromisoformat(completed["start_time"]) >= expected - timedelta(seconds=15)
    assert completed["parameters"] == {
        "landing": str(SAMPLE_LANDING.resolve()),
        "warehouse": str(warehouse.resolve()),
    }

    # ... and it published the warehouse.
    con = duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True)
    try:
        statuses = [row[0] for row in con.execute("select status from refresh_runs").fetchall()]
    finally:
        con.close()
    assert "published" in statuses

    # serve said where it serves, and stopping it stopped its server.
    assert f"Prefect API  {api}" in output
    assert "Cannot schedule flows on an ephemeral server" not in output
    assert serve.returncode == 0, output[-3000:]
    assert not api_healthy(api, timeout=2)

    # The run in progress was ended, not waited for, and recorded as Crashed; no run began
    # after the signal (the server's own database says so once it has stopped).
    assert stop_seconds < 75, f"serve took {stop_seconds:.0f} s to stop:\n{output[-3000:]}"
    db = sqlite3.connect(tmp_path / "prefect-home" / "prefect.db")
    try:
        states = dict(db.execute("select id, state_type from flow_run").fetchall())
    finally:
        db.close()
    assert states[running["id"]] == "CRASHED", states
    assert [s for s in states.values() if s in ("PENDING", "RUNNING")] == [], states


def test_serve_refuses_when_prefect_api_url_does_not_answer(tmp_path):
    api = f"http://127.0.0.1:{_free_port()}/api"
    result = run_cli(
        ["serve", "--landing", str(SAMPLE_LANDING), "--warehouse", str(tmp_path / "wh")],
        {"PREFECT_API_URL": api},
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"PREFECT_API_URL is {api}, but no Prefect server answers there" in result.stderr
    assert "prefect server start" in result.stderr


@pytest.mark.e2e
def test_serve_refuses_a_server_that_does_not_schedule(tmp_path, prefect_server):
    """The session's server runs with --no-services: no scheduler, so serve must not pretend."""
    result = run_cli(
        ["serve", "--warehouse", str(tmp_path / "wh"), "--schedule-wait", "20"], prefect_server, timeout=300
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "its scheduler service is not running" in result.stderr
    assert "--no-services" in result.stderr


def test_left_over_runs_are_settled_so_the_missed_night_runs_once(prefect_server):
    """After a crash: the dead run frees the slot, the newest missed run is kept, older ones go."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect.states import Pending, Running, Scheduled

    now = datetime.now(UTC)
    settings = temporary_settings({PREFECT_API_URL: prefect_server["PREFECT_API_URL"]})
    with settings, get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name(f"tidy-test-{now:%H%M%S%f}")
        deployment_id = client.create_deployment(flow_id=flow_id, name="nightly", concurrency_limit=1)

        def run_at(hours: float):
            return client.create_flow_run_from_deployment(
                deployment_id, state=Scheduled(scheduled_time=now + timedelta(hours=hours))
            )

        dead = run_at(-30)
        for state in (Pending(), Running()):  # holds the deployment's one concurrency slot
            assert client.set_flow_run_state(dead.id, state).state.type.value == state.type.value
        older, missed, tomorrow = run_at(-26), run_at(-2), run_at(20)
        assert client.set_flow_run_state(missed.id, Pending()).state.name == "AwaitingConcurrencySlot"

        changed = tidy_left_over_runs(deployment_id, now=now)

        state_of = {run.name: client.read_flow_run(run.id).state for run in (dead, older, missed, tomorrow)}
        assert state_of[dead.name].name == "Crashed"
        assert state_of[older.name].name == "Cancelled"
        assert state_of[tomorrow.name].name == "Scheduled"
        assert state_of[missed.name].type.value == "SCHEDULED"
        # The slot the dead run held is free: the missed night can start now.
        assert client.set_flow_run_state(missed.id, Pending()).state.type.value == "PENDING"
    assert [line.rsplit(": ", 1)[1] for line in changed] == ["crashed", "superseded", "missed, runs now"]


@pytest.mark.parametrize(
    ("start", "utc_times"),
    [
        # Clocks go forward at 01:00 UTC on Sunday 28 March 2027: Saturday 02:30 GMT, then 02:30 BST.
        (datetime(2027, 3, 26, 12, tzinfo=UTC), ["27 02:30", "28 01:30", "29 01:30", "30 01:30"]),
        # Clocks go back at 01:00 UTC on Sunday 25 October 2026: Saturday 02:30 BST, then 02:30 GMT.
        (datetime(2026, 10, 23, 12, tzinfo=UTC), ["24 01:30", "25 02:30", "26 02:30", "27 02:30"]),
    ],
)
def test_nightly_schedule_is_0230_london_time_across_the_clock_changes(start, utc_times):
    """The schedule serve registers from prefect.yaml, as Prefect's scheduler service computes its dates."""
    from prefect.client.schemas.actions import DeploymentScheduleCreate
    from prefect.server.schemas.schedules import CronSchedule

    (schedule,) = schedules_from(load_deployment(PROJECT_DIR / "prefect.yaml"))
    registered = DeploymentScheduleCreate.from_schedule(schedule).schedule
    dates = asyncio.run(CronSchedule.model_validate(registered.model_dump()).get_dates(n=4, start=start))
    assert [d.astimezone(LONDON).strftime("%H:%M") for d in dates] == ["02:30"] * 4
    assert [d.astimezone(UTC).strftime("%d %H:%M") for d in dates] == utc_times
