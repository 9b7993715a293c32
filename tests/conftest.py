"""Shared pytest setup: Prefect's settings for a small machine, and a raw-database fixture."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import prefect_defaults

prefect_defaults()
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def raw_con(tmp_path: Path):
    """A fresh raw database (file-backed, like production)."""
    con = duckdb.connect(str(tmp_path / "raw.duckdb"))
    yield con
    con.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """One real Prefect API server for the whole session, shared by every refresh subprocess.

    Without it each ``ipskpi refresh`` would start its own temporary server (about 20 s
    on these machines). Yields the environment a subprocess needs to use it.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = dict(
        os.environ,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_ENABLED="false",
    )
    prefect = str(Path(sys.executable).with_name("prefect"))
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}")
    else:
        proc.kill()
        raise RuntimeError("prefect server did not become healthy in 180 s")
    yield {"PREFECT_API_URL": url, "PREFECT_HOME": str(home)}
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def run_cli(args: list[str], env_extra: dict[str, str] | None = None, timeout: float = 900):
    """Run the installed ``ipskpi`` console command in a real subprocess."""
    import subprocess
    import sys

    env = dict(os.environ, **(env_extra or {}))
    exe = str(Path(sys.executable).with_name("ipskpi"))
    return subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory, prefect_server):
    """A warehouse after one real refresh of the bundled sample, shared by the session."""
    from ipskpi.config import SAMPLE_LANDING

    warehouse = tmp_path_factory.mktemp("sample-warehouse")
    result = run_cli(
        ["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)], prefect_server
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return warehouse, result
