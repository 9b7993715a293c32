"""``ipskpi serve``: serve the nightly deployment on a Prefect server whose scheduler runs.

Prefect's temporary (ephemeral) server, which ``flow.serve()`` starts when no
``PREFECT_API_URL`` is set, runs no services, so it never creates the scheduled
runs and a served deployment would wait forever. So ``serve`` either

* uses the server that ``PREFECT_API_URL`` names, after checking it answers; or
* starts a local ``prefect server start`` (services on: the scheduler, late runs),
  bound to 127.0.0.1, with its database in ``PREFECT_HOME`` (default
  ``<warehouse>/prefect``), supervises it, and stops it when serving stops
  (or exits with an error if the server dies, so a service manager restarts both).

Either way it then registers the deployment from ``prefect.yaml`` and waits until
the server's scheduler has created the upcoming runs, so a server that does not
schedule (e.g. one started with ``--no-services``) is refused at start-up, not
discovered the next morning. The scheduled runs are then executed by a Prefect
runner in this process, each in its own subprocess, against the same server (no
temporary server to start per run).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
DEFAULT_PORT = 4200
DEPLOYMENT_NAME = "ipskpi-nightly"

EXIT_SERVE_REFUSED = 2


class ServeRefused(RuntimeError):
    """``serve`` cannot give the deployment a server that schedules; the message says why and what to do."""


def api_healthy(api_url: str, timeout: float = 5) -> bool:
    """True when ``<api_url>/health`` answers 200 (the Prefect API is up)."""
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def port_free(port: int, host: str = HOST) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is free
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM if ``serve`` itself is killed (even with SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class LocalServer:
    """A ``prefect server start`` child process bound to 127.0.0.1, services on."""

    home: Path
    port: int
    ui: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    stopping: bool = field(default=False, repr=False)

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def start(self, timeout: float = 180) -> None:
        if not port_free(self.port):
            raise ServeRefused(
                f"Port {self.port} on {HOST} is already in use (another Prefect server, or another "
                f"`ipskpi serve`?). Pass --port with a free port, or, to use the server on that port, "
                f"set PREFECT_API_URL=http://{HOST}:{self.port}/api."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            PREFECT_HOME=str(self.home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED=str(self.ui).lower(),
            PREFECT_SERVER_UI_ENABLED=str(self.ui).lower(),
        )
        env.pop("PREFECT_API_URL", None)
        prefect = str(Path(sys.executable).with_name("prefect"))
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [prefect, "server", "start", "--host", HOST, "--port", str(self.port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches serve, which stops the server last
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeRefused(
                    f"The Prefect server exited during start-up (code {self.process.returncode}); "
                    f"its log {self.log_path} ends:\n{self._log_tail()}"
                )
            if api_healthy(self.api_url, timeout=2):
                return
            time.sleep(0.5)
        self.stop()
        raise ServeRefused(
            f"The Prefect server did not answer on {self.api_url} within {timeout:.0f} s; "
            f"its log {self.log_path} ends:\n{self._log_tail()}"
        )

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 30) -> None:
        self.stopping = True
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def load_deployment(prefect_yaml: Path, name: str = DEPLOYMENT_NAME) -> dict[str, Any]:
    """The deployment called ``name`` in a prefect.yaml file."""
    import yaml

    spec = yaml.safe_load(prefect_yaml.read_text()) or {}
    for deployment in spec.get("deployments") or []:
        if deployment.get("name") == name:
            return deployment
    raise ServeRefused(f"{prefect_yaml} has no deployment named {name!r}")


def schedules_from(deployment: dict[str, Any]) -> list[Any]:
    """prefect.yaml ``schedules:`` (cron, interval with anchor_date, or rrule) as Prefect schedules."""
    from prefect.schedules import Cron, Interval, RRule

    schedules = []
    for entry in deployment.get("schedules") or []:
        common = {
            "timezone": entry.get("timezone"),
            "active": entry.get("active", True),
            "parameters": entry.get("parameters") or {},
            "slug": entry.get("slug"),
        }
        if entry.get("cron"):
            schedules.append(Cron(entry["cron"], day_or=entry.get("day_or", True), **common))
        elif entry.get("interval"):
            anchor = entry.get("anchor_date")
            if anchor is not None and not isinstance(anchor, datetime):  # YAML may have parsed it
                anchor = datetime.fromisoformat(str(anchor))
            if anchor is not None and anchor.tzinfo is None:
                anchor = anchor.replace(tzinfo=UTC)
            schedules.append(
                Interval(timedelta(seconds=float(entry["interval"])), anchor_date=anchor, **common)
            )
        elif entry.get("rrule"):
            schedules.append(RRule(entry["rrule"], **common))
        else:
            raise ServeRefused(f"unknown schedule in prefect.yaml (need cron, interval or rrule): {entry}")
    return schedules


def describe(schedule: Any) -> str:
    if schedule.cron:
        what = schedule.cron
    elif schedule.interval:
        what = f"every {schedule.interval}"
    else:
        what = schedule.rrule
    return f"{what} ({schedule.timezone or 'UTC'})"


def wait_for_scheduled_runs(deployment_id: Any, timeout: float) -> list[Any]:
    """The runs the server's scheduler created for the deployment (waits up to ``timeout`` s)."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=20,
            )
            # Made by the scheduler and still ahead: a run left over from before proves nothing.
            now = datetime.now(UTC)
            runs = [run for run in runs if run.auto_scheduled and run.expected_start_time > now]
            if runs or time.monotonic() > deadline:
                return runs[:3]
            time.sleep(1)


def tidy_left_over_runs(deployment_id: Any, now: datetime | None = None) -> list[str]:
    """Settle the runs a previous ``serve`` left behind, before this one starts running any.

    Only ``serve`` runs this deployment (one run at a time), so when it starts

    * a run still Pending, Running or Cancelling belongs to a process that is gone (the
      machine went down mid-run): it is marked Crashed, which also frees the deployment's
      concurrency slot that would otherwise keep every later run waiting;
    * of the runs that were due while serve was down (Late, or awaiting the slot), the newest
      is kept and runs at once (one refresh loads everything in the landing folder); the
      older ones are Cancelled as superseded by it.

    Returns one line per run changed.
    """
    from prefect import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.states import Cancelled, Crashed

    now = now or datetime.now(UTC)
    unfinished = (StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)
    changed: list[str] = []
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[*unfinished, StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
        )
        for run in runs:
            if run.state_type in unfinished:
                message = "The ipskpi serve process running it stopped (found when serve restarted)."
                client.set_flow_run_state(run.id, Crashed(message=message), force=True)
                changed.append(f"{run.name} ({run.state_name}, due {_when(run)}): crashed")
        overdue = [
            run
            for run in runs
            if run.state_type == StateType.SCHEDULED
            and run.expected_start_time is not None
            and run.expected_start_time <= now
        ]
        for run in overdue[:-1]:
            message = f"Superseded by {overdue[-1].name}, the newest run missed while serve was down."
            client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
            changed.append(f"{run.name} (due {_when(run)}): superseded")
        if overdue:
            changed.append(f"{overdue[-1].name} (due {_when(overdue[-1])}): missed, runs now")
    return changed


def _when(run: Any) -> str:
    return f"{run.expected_start_time:%Y-%m-%d %H:%M %Z}" if run.expected_start_time else "unscheduled"


def serve(
    landing: Path,
    warehouse: Path,
    *,
    prefect_yaml: Path,
    port: int = DEFAULT_PORT,
    ui: bool = True,
    schedule_timeout: float = 120,
    out: Any = None,
) -> int:
    """Serve the nightly deployment until stopped (Ctrl-C, SIGTERM). Returns the exit code."""
    out = out or sys.stdout
    landing, warehouse = landing.resolve(), warehouse.resolve()
    deployment = load_deployment(prefect_yaml)

    def _terminate(signum: int, frame: Any) -> None:  # run the finally blocks (the runner replaces this)
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)

    server: LocalServer | None = None
    external = os.environ.get("PREFECT_API_URL", "").strip()
    if external:
        if not api_healthy(external):
            raise ServeRefused(
                f"PREFECT_API_URL is {external}, but no Prefect server answers there "
                f"({external.rstrip('/')}/health). Start one with `prefect server start` "
                "(without --no-services: its scheduler creates the nightly runs), or unset "
                "PREFECT_API_URL and `ipskpi serve` starts and supervises a local one."
            )
        api_url, ui_url = external, None
    else:
        home = Path(os.environ.get("PREFECT_HOME") or warehouse / "prefect").resolve()
        os.environ["PREFECT_HOME"] = str(home)
        server = LocalServer(home, port, ui=ui)
        print(f"Starting a Prefect server on {server.api_url} (database and log in {home}) ...", file=out)
        server.start()
        api_url, ui_url = server.api_url, server.ui_url if ui else None
        # Set before Prefect is imported, so this process and every flow run use this server.
        os.environ["PREFECT_API_URL"] = api_url
        if ui:
            os.environ["PREFECT_UI_URL"] = ui_url
    try:
        return _serve_deployment(
            deployment, landing, warehouse, api_url, ui_url, server, schedule_timeout, out
        )
    finally:
        if server is not None:
            server.stop()
            print(f"Stopped the Prefect server on {server.api_url}.", file=out)


def _serve_deployment(
    deployment: dict[str, Any],
    landing: Path,
    warehouse: Path,
    api_url: str,
    ui_url: str | None,
    server: LocalServer | None,
    schedule_timeout: float,
    out: Any,
) -> int:
    from ipskpi.config import PROJECT_DIR, prefect_defaults

    prefect_defaults()
    import asyncio

    from prefect.runner import Runner

    from flows.refresh import nightly_refresh

    # The flow runs are started from the deployment's entrypoint (flows/refresh.py), relative
    # to the project; the landing and warehouse were made absolute above.
    os.chdir(PROJECT_DIR)

    class ServeRunner(Runner):
        """A Runner that stops the way Ctrl-C stops it, whatever the signal and whoever asks.

        Stopping means: submit no further run (the poller may already hold the next one,
        fetched up to ``prefetch_seconds`` ahead), end the flow run in progress, and cancel
        the task that runs ``start()`` so the runner closes its clients. The runner waits for
        a flow run's process to exit (it joins it in a thread, which cancelling cannot
        interrupt), so the process is ended here: SIGTERM, then SIGKILL after
        ``FLOW_RUN_GRACE`` s. A refresh is safe to end at any point (it builds into a new file
        and publishes by a rename); the runner records the run as Crashed. Prefect's own
        SIGTERM handler calls the synchronous ``stop()`` inside the running loop, and relaying
        SIGTERM as SIGINT would do nothing where SIGINT is ignored (a process started in the
        background).
        """

        main_task: asyncio.Task[None] | None = None
        stop_requested = False

        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            self._logger.info("SIGTERM received, stopping ...")
            self.request_stop()

        def request_stop(self) -> None:
            if self.stop_requested:
                return
            self.stop_requested = True
            self.stopping = True  # Runner._get_and_submit_flow_runs submits nothing more
            poller = getattr(self, "_scheduled_run_poller", None)
            if poller is not None:
                poller.stopping = True
            task = self.main_task
            if task is not None and not task.done():
                task.get_loop().call_soon_threadsafe(task.cancel)
            threading.Thread(target=end_flow_runs, daemon=True, name="end-flow-runs").start()

    async def run_until_stopped(runner: ServeRunner) -> None:
        runner.main_task = asyncio.current_task()
        if runner.stop_requested:
            return
        with contextlib.suppress(asyncio.CancelledError):
            await runner.start()

    schedules = schedules_from(deployment)
    # The schedule stays active while serve is stopped, so a night missed while it (or the
    # machine) was down is a Late run the next serve runs once (tidy_left_over_runs).
    runner = ServeRunner(name=deployment["name"], pause_on_shutdown=False)
    deployment_id = runner.add_flow(
        nightly_refresh,
        name=deployment["name"],
        schedules=schedules,
        parameters={"landing": str(landing), "warehouse": str(warehouse)},
        tags=deployment.get("tags"),
        description=deployment.get("description"),
        concurrency_limit=deployment.get("concurrency_limit"),
    )
    for line in tidy_left_over_runs(deployment_id):
        print(f"  left over    {line}", file=out)
    upcoming = wait_for_scheduled_runs(deployment_id, schedule_timeout) if schedules else []
    if schedules and not upcoming:
        what = (
            f"see its log {server.log_path}."
            if server is not None
            else "restart it with `prefect server start`, or unset PREFECT_API_URL."
        )
        raise ServeRefused(
            f"The Prefect server at {api_url} created no scheduled run of {deployment['name']} "
            f"within {schedule_timeout:.0f} s: its scheduler service is not running (a server "
            f"started with `prefect server start --no-services` never schedules); {what}"
        )
    print(
        f"Serving {deployment['name']}: "
        + ", ".join(describe(s) for s in schedules)
        + f"; landing {landing}, warehouse {warehouse}",
        file=out,
    )
    print(f"  Prefect API  {api_url}", file=out)
    if ui_url:
        print(f"  Prefect UI   {ui_url}/deployments/deployment/{deployment_id}", file=out)
    for run in upcoming:
        local = run.expected_start_time.astimezone(_tz(schedules[0].timezone))
        print(f"  next run     {run.name} at {local:%Y-%m-%d %H:%M %Z}", file=out)
    print("Ctrl-C (or SIGTERM) stops serving" + (" and the server." if server else "."), file=out)
    out.flush()

    died = threading.Event()
    if server is not None:
        watch = threading.Thread(
            target=_watch, args=(server, died, runner), daemon=True, name="prefect-server-watch"
        )
        watch.start()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_until_stopped(runner))
    if died.is_set():
        print(
            f"The Prefect server stopped unexpectedly (code {server.process.returncode}); "
            f"see {server.log_path}. Exiting so the service manager restarts serve.",
            file=sys.stderr,
        )
        return 1
    return 0


FLOW_RUN_GRACE = 20.0


def end_flow_runs(grace: float = FLOW_RUN_GRACE) -> list[int]:
    """End the flow runs this process started (each is a child process): SIGTERM, then
    SIGKILL for any still alive after ``grace`` s. Returns the process ids ended."""
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        if grace > 0:
            child.terminate()
        else:
            child.kill()
    deadline = time.monotonic() + grace
    for child in children:
        child.join(timeout=max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join(timeout=10)
    return [child.pid for child in children if child.pid is not None]


def _tz(name: str | None) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name or "UTC")


def _watch(server: LocalServer, died: threading.Event, runner: Any) -> None:
    """If the supervised server exits, stop serving (the runner cannot run anything without it)."""
    assert server.process is not None
    server.process.wait()
    if server.stopping:
        return
    died.set()
    runner.request_stop()
    time.sleep(30)
    # Still here: the runner's shutdown waits on a server that is gone. End the flow run
    # (the refresh is safe to kill at any point) and exit so the service manager restarts.
    end_flow_runs(grace=0)
    print(
        f"The Prefect server stopped unexpectedly (code {server.process.returncode}); see "
        f"{server.log_path}. Exiting so the service manager restarts serve.",
        file=sys.stderr,
        flush=True,
    )
    os._exit(1)
