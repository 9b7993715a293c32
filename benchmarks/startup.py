"""What Prefect's start-up costs a run: the temporary server against a long-running one.

    uv run --locked python benchmarks/startup.py [--runs 3] [--refresh] [--work /tmp/ipskpi-startup]

When no ``PREFECT_API_URL`` is set, Prefect starts a temporary ("ephemeral") API server
in a subprocess on the first flow call of every process and stops it at exit, so each
``ipskpi refresh`` pays its start-up. The supported way to keep run history without that
cost is a long-running local server (``prefect server start``, or ``ipskpi serve``, which
starts one) and ``PREFECT_API_URL`` pointing at it: each run then only connects.

This measures, as the median of ``--runs`` runs of a fresh Python process each:

- ``import``: importing Prefect and defining a flow, without calling it (the floor);
- ``ephemeral``: one call of an empty flow with no ``PREFECT_API_URL`` (Prefect starts and
  stops its temporary server);
- ``server``: the same call with ``PREFECT_API_URL`` set to a ``prefect server start``
  started once beforehand (its own start-up, until ``/api/health`` answers, is reported
  separately: it is paid once per boot, not per run);
- with ``--refresh``: one sample ``ipskpi refresh`` each way (wall time and the summary's
  stages; "start-up" = wall minus the stages).

Results go to benchmarks/startup.json and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import BIN, PROJECT_DIR, _refresh_record, machine, timed_process  # noqa: E402

RESULTS = HERE / "startup.json"

IMPORT_ONLY = "from prefect import flow\n\n@flow\ndef noop():\n    return 1\n"
ONE_CALL = IMPORT_ONLY + "\nnoop()\n"


def _env(home: Path, api_url: str | None) -> dict:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
        }
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _python_seconds(code: str, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, cwd=PROJECT_DIR)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prefect server start exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 (localhost)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no Prefect server answered at {url} within {timeout:.0f} s")


def _refresh(work: Path, label: str, env: dict) -> dict:
    warehouse = work / f"warehouse-{label}"
    shutil.rmtree(warehouse, ignore_errors=True)
    (work / "logs").mkdir(parents=True, exist_ok=True)
    landing = PROJECT_DIR / "data" / "sample" / "landing"
    command = [str(BIN / "ipskpi"), "refresh", "--landing", str(landing), "--warehouse", str(warehouse)]
    result = timed_process(command, env, work / "logs" / f"refresh-{label}.log")
    return _refresh_record(result, result.pop("output"))


def measure(runs: int, work: Path, refresh: bool) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ephemeral_env = _env(work / "home-ephemeral", None)
    result: dict = {"measured_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine()}
    result["load_avg_before"] = round(os.getloadavg()[0], 1)
    result["import_s"] = [_python_seconds(IMPORT_ONLY, ephemeral_env) for _ in range(runs)]
    result["ephemeral_s"] = [_python_seconds(ONE_CALL, ephemeral_env) for _ in range(runs)]
    if refresh:
        result["refresh_ephemeral"] = _refresh(work, "ephemeral", ephemeral_env)

    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server_env = _env(work / "home-server", None)
    log = (work / "server.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_DIR,
    )
    try:
        _wait_for_health(api_url, server)
        result["server_start_s"] = round(time.perf_counter() - started, 1)
        client_env = _env(work / "home-server", api_url)
        result["server_s"] = [_python_seconds(ONE_CALL, client_env) for _ in range(runs)]
        if refresh:
            result["refresh_server"] = _refresh(work, "server", client_env)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    result["load_avg_after"] = round(os.getloadavg()[0], 1)
    for key in ("import_s", "ephemeral_s", "server_s"):
        result[key] = [round(v, 2) for v in result[key]]
        result[key.replace("_s", "_median_s")] = round(statistics.median(result[key]), 2)
    return result


def render(result: dict) -> str:
    lines = [
        "| how the run reaches Prefect | one empty flow call (median) "
        "| sample `ipskpi refresh` wall | its start-up |",
        "|---|---|---|---|",
    ]

    def refresh_cells(key: str) -> str:
        run = result.get(key)
        if not run:
            return "| - | - |"
        return f"| {run['wall_s']:.0f} s ({run['status']}) | {run['other_s']:.0f} s |"

    lines.append(f"| import only, no call (the floor) | {result['import_median_s']:.1f} s | - | - |")
    lines.append(
        f"| temporary server (no `PREFECT_API_URL`) | {result['ephemeral_median_s']:.1f} s "
        + refresh_cells("refresh_ephemeral")
    )
    lines.append(
        "| long-running local server (`PREFECT_API_URL`; "
        f"its own start {result['server_start_s']:.0f} s, once) "
        f"| {result['server_median_s']:.1f} s " + refresh_cells("refresh_server")
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--refresh", action="store_true", help="also time one sample refresh each way")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ipskpi-startup"))
    args = parser.parse_args()
    result = measure(args.runs, args.work, args.refresh)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
