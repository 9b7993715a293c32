"""The NOMIS NM_17_5 fetch against a real HTTP server on 127.0.0.1: paging, retries, fallback.

No mocks of httpx: a small http.server in a thread plays NOMIS. Never calls the internet.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ipskpi.ingest.nomis import build_url, configured_geographies, fetch_nm_17_5, variable_codes
from ipskpi.ingest.public_sources import load_public_sources

HEADER = '"DATE_NAME","GEOGRAPHY_NAME","GEOGRAPHY_CODE","VARIABLE_NAME","MEASURES_NAME","OBS_VALUE","OBS_STATUS_NAME"'


def row(i: int) -> str:
    measure = ("Variable", "Numerator", "Denominator", "Confidence")[i % 4]
    return (
        f'"Jan 2024-Dec 2024","Area {i // 4}","E0600000{i // 4 + 1}","Employment rate - aged 16-64",'
        f'"{measure}",{70 + i},"Normal Value"'
    )


class FakeNomis:
    """Serves NM_17_5 in pages of ``page_size`` rows; ``fail`` maps a recordoffset to statuses to send first."""

    def __init__(self, total_rows: int, page_size: int, fail: dict[int, list[int]] | None = None) -> None:
        self.rows = [row(i) for i in range(total_rows)]
        self.page_size = page_size
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.requests: list[str] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                query = parse_qs(urlsplit(self.path).query)
                offset = int(query.get("recordoffset", ["0"])[0])
                pending = fake.fail.get(offset)
                if pending:
                    status = pending.pop(0)
                    self.send_response(status)
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(b"try again later")
                    return
                page = fake.rows[offset : offset + fake.page_size]
                body = ("\r\n".join([HEADER, *page]) + "\r\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(fake: FakeNomis) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/v01"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def no_sleep(_: float) -> None:
    pass


def test_url_is_the_documented_nm_17_5_query():
    url = build_url(["E06000057", "E92000001"], "latest", [45, 84], select=["DATE_NAME", "OBS_VALUE"])
    assert url == (
        "https://www.nomisweb.co.uk/api/v01/dataset/NM_17_5.data.csv?geography=E06000057,E92000001"
        "&date=latest&variable=45,84&measures=20599,21001,21002,21003&select=DATE_NAME,OBS_VALUE"
    )
    assert build_url(["E06000057"], "2024-12", [45], record_offset=25000).endswith(
        "measures=20599,21001,21002,21003&recordoffset=25000"
    )


def test_variables_and_geographies_come_from_the_seeds():
    codes = variable_codes()
    assert {"45", "84", "111"} <= set(codes)  # employment, unemployment, inactivity 16-64
    areas = configured_geographies()
    assert areas[-1] == "E92000001"
    assert "E06000057" in areas and any(a.startswith("E12") for a in areas)


def test_fetch_pages_past_the_limit_and_retries_a_transient_503(serve, tmp_path: Path):
    fake = FakeNomis(total_rows=7, page_size=4, fail={4: [503]})
    base = serve(fake)
    result = fetch_nm_17_5(
        tmp_path,
        geography=["E06000001", "E06000002"],
        variables=["45"],
        base_url=base,
        page_size=4,
        backoff_seconds=0.01,
        sleep=no_sleep,
    )
    assert (result.status, result.rows, result.pages, result.attempts) == ("fetched", 7, 2, 3)
    assert not result.fell_back_to_file_drop
    offsets = [parse_qs(urlsplit(p).query).get("recordoffset", ["0"])[0] for p in fake.requests]
    assert offsets == ["0", "4", "4"]
    query = parse_qs(urlsplit(fake.requests[0]).query)
    assert query["geography"] == ["E06000001,E06000002"]
    assert query["measures"] == ["20599,21001,21002,21003"]
    assert urlsplit(fake.requests[0]).path == "/api/v01/dataset/NM_17_5.data.csv"
    lines = result.path.read_text().splitlines()
    assert result.path.parent == tmp_path / "nomis_aps"
    assert lines[0] == HEADER and len(lines) == 8 and lines.count(HEADER) == 1
    assert not list((tmp_path / "nomis_aps").glob(".*.part"))


def test_fetched_extract_loads_like_a_file_drop(serve, tmp_path: Path, raw_con):
    base = serve(FakeNomis(total_rows=8, page_size=5))
    result = fetch_nm_17_5(
        tmp_path, geography=["E06000001"], variables=["45"], base_url=base, page_size=5, sleep=no_sleep
    )
    assert (result.status, result.rows, result.pages) == ("fetched", 8, 2)
    (loaded,) = load_public_sources(raw_con, tmp_path, "run")
    assert (loaded.status, loaded.rows_loaded, loaded.rows_rejected) == ("loaded", 8, 0)
    assert raw_con.execute(
        "select count(distinct variable_code), min(date_code) from nomis_aps.observations"
    ).fetchone() == (1, "2024-12")


def test_persistent_5xx_falls_back_to_the_file_drop(serve, tmp_path: Path):
    base = serve(FakeNomis(total_rows=3, page_size=4, fail={0: [503, 502, 500]}))
    result = fetch_nm_17_5(
        tmp_path, geography=["E06000001"], variables=["45"], base_url=base, retries=2, sleep=no_sleep
    )
    assert result.fell_back_to_file_drop and result.path is None and result.attempts == 3
    assert "fell back to the file drop" in result.message
    assert not (tmp_path / "nomis_aps").exists()


def test_no_network_reports_the_file_drop_fallback(tmp_path: Path):
    with socket.socket() as s:  # a port that nothing listens on: connection refused, like no network
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    result = fetch_nm_17_5(
        tmp_path,
        geography=["E06000001"],
        variables=["45"],
        base_url=f"http://127.0.0.1:{port}/api/v01",
        retries=2,
        backoff_seconds=0.5,
        sleep=waits.append,
    )
    assert result.status == "file_drop" and result.attempts == 3
    assert "ConnectError" in result.message
    assert waits == [0.5, 1.0]  # exponential backoff between the attempts
