"""The landing walk: every entry gets a ledger state, nothing outside the landing is opened,
zipped downloads are read member by member, and a landing that cannot be one says why."""

from __future__ import annotations

import io
import os
import shutil
import stat
import threading
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ipskpi.history import ensure_history, record_loads
from ipskpi.ingest.landing import LandingError, check_landing
from ipskpi.ingest.provider_returns import LoadResult, load_provider_returns
from ipskpi.ingest.public_sources import load_public_sources
from ipskpi.summary import RefreshSummary, write_report
from tests.returns import referral, write_csv_return
from tests.unit.test_public_sources import mhsds, mhsds_row

RUN_DATE = date(2025, 1, 15)


def load(con, landing: Path, known=frozenset({"TST01"})) -> dict[str, LoadResult]:
    results = load_provider_returns(con, landing / "provider_returns", "run", landing, known, RUN_DATE)
    return {r.file_path: r for r in results}


def ledger(con) -> dict[str, tuple[str, str]]:
    rows = con.execute("select file_path, status, message from ingest.load_ledger").fetchall()
    return {path: (status, message) for path, status, message in rows}


def a_return(landing: Path, provider: str = "TST01", month: str = "2024-04") -> Path:
    return write_csv_return(
        landing / "provider_returns", provider=provider, month=month, tables={"referrals": [referral("R1")]}
    )


def test_near_miss_names_are_not_recognised_and_say_which_name_would_be_read(raw_con, tmp_path):
    folder = tmp_path / "provider_returns"
    a_return(tmp_path)
    for name in (
        "RV3_2021-06_v2.xlsx",
        "RV3 2021-06.xlsx",
        "RV3_2021_06.xlsx",
        "RV3_2021-06.xlsm",
        "RV3.csv",
        "RV3_2021-06.zip",
    ):
        (folder / name).write_bytes(b"not read")
    (folder / "RV3-2021-06").mkdir()
    (folder / "RV3_2021-13").mkdir()
    (folder / ".DS_Store").write_bytes(b"")
    results = load(raw_con, tmp_path, known=None)
    expected = {
        "provider_returns/RV3_2021-06_v2.xlsx": "named RV3_2021-06.xlsx ('_v2' after the month is not part",
        "provider_returns/RV3 2021-06.xlsx": "to be read it must be named RV3_2021-06.xlsx",
        "provider_returns/RV3_2021_06.xlsx": "to be read it must be named RV3_2021-06.xlsx",
        "provider_returns/RV3_2021-06.xlsm": "save it as an .xlsx workbook named RV3_2021-06.xlsx",
        "provider_returns/RV3-2021-06": "to be read it must be named RV3_2021-06/",
        "provider_returns/RV3_2021-13": "not a provider return",
        "provider_returns/RV3.csv": "a CSV return is a folder",
        "provider_returns/RV3_2021-06.zip": "a zipped return is not read: unzip it into a folder RV3_2021-06/",
    }
    for path, text in expected.items():
        assert results[path].status == "not_recognised", path
        assert text in results[path].message, (path, results[path].message)
    assert results["provider_returns/.DS_Store"].status == "ignored"
    assert results["provider_returns/TST01_2024-04"].status == "loaded"
    # Every entry of the folder is in the ledger, and only the real return was read.
    assert len(ledger(raw_con)) == len(list(folder.iterdir()))
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone()[0] == 1


def test_unknown_provider_and_future_month_are_refused_and_not_loaded(raw_con, tmp_path):
    a_return(tmp_path)
    a_return(tmp_path, provider="ZZZ99", month="2024-04")
    a_return(tmp_path, month="2029-01")
    a_return(tmp_path, provider="tst01", month="2024-05")
    results = load(raw_con, tmp_path)
    lower = results["provider_returns/tst01_2024-05"]
    assert lower.status == "refused" and "(to be read it must be named TST01_2024-05/)" in lower.message
    unknown = results["provider_returns/ZZZ99_2024-04"]
    assert unknown.status == "refused" and "provider code ZZZ99 is not in ref_providers" in unknown.message
    future = results["provider_returns/TST01_2029-01"]
    assert future.status == "refused"
    assert "return month 2029-01 is after the run date (2025-01-15)" in future.message
    assert raw_con.execute("select distinct _return_month from provider_returns.referrals").fetchall() == [
        ("2024-04",)
    ]
    assert raw_con.execute(
        "select provider_code, return_month from ingest.load_ledger where status = 'refused' order by 1"
    ).fetchall() == [("TST01", "2029-01"), ("ZZZ99", "2024-04"), ("tst01", "2024-05")]
    # Held back, not remembered: once its month has come the same bytes load.
    (later,) = [
        r
        for r in load_provider_returns(
            raw_con, tmp_path / "provider_returns", "run2", tmp_path, frozenset({"TST01"}), date(2029, 2, 1)
        )
        if r.file_path.endswith("TST01_2029-01")
    ]
    assert later.status == "loaded"


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_links_out_of_the_landing_are_refused_and_never_opened(raw_con, tmp_path):
    landing = tmp_path / "landing"
    outside = tmp_path / "outside"
    elsewhere = a_return(outside, month="2024-05")
    a_return(landing)
    (landing / "provider_returns" / "TST01_2024-05").symlink_to(elsewhere)
    inner = a_return(landing, month="2024-06")
    (inner / "education.csv").unlink()
    (inner / "education.csv").symlink_to(elsewhere / "education.csv")
    # A FIFO as the target: opening it would block, so the load finishing proves it was not opened.
    blocked = a_return(landing, month="2024-07")
    (blocked / "contacts.csv").unlink()
    (blocked / "contacts.csv").symlink_to(_fifo(tmp_path / "fifo"))
    (landing / "provider_returns" / "TST01_2024-08.xlsx").symlink_to(landing / "provider_returns" / "x.xlsx")
    (landing / "provider_returns" / "x.xlsx").write_bytes(b"")
    _fifo(landing / "provider_returns" / "TST01_2024-09.xlsx")
    done: dict[str, dict[str, LoadResult]] = {}
    worker = threading.Thread(target=lambda: done.setdefault("r", load(raw_con, landing)), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the loader opened a link's target or a FIFO"
    results = done["r"]
    linked = results["provider_returns/TST01_2024-05"]
    assert linked.status == "refused"
    assert f"is a symbolic link to {elsewhere}, outside the landing; it was not opened" in linked.message
    table = results["provider_returns/TST01_2024-06"]
    assert table.status == "refused"
    assert "TST01_2024-06/education.csv is a symbolic link to" in table.message
    assert "the whole return was refused" in table.message
    assert results["provider_returns/TST01_2024-07"].status == "refused"
    inside = results["provider_returns/TST01_2024-08.xlsx"]
    assert inside.status == "refused" and "(inside the landing); links are not followed" in inside.message
    fifo = results["provider_returns/TST01_2024-09.xlsx"]
    assert fifo.status == "refused" and "not a regular file or folder" in fifo.message
    assert raw_con.execute("select distinct _return_month from provider_returns.referrals").fetchall() == [
        ("2024-04",)
    ]


def test_public_file_link_is_refused(raw_con, tmp_path):
    (tmp_path / "mhsds").mkdir()
    secret = tmp_path.parent / f"{tmp_path.name}-secret.csv"
    secret.write_text(mhsds([mhsds_row("MHS116", "5")]))
    (tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv").symlink_to(secret)
    (tmp_path / "mhsds" / "old").mkdir()
    results = {r.file_path: r for r in load_public_sources(raw_con, tmp_path, "run")}
    assert results["mhsds/mhsds_monthly_2024-04.csv"].status == "refused"
    assert "outside the landing" in results["mhsds/mhsds_monthly_2024-04.csv"].message
    assert results["mhsds/old"].status == "not_recognised"
    assert raw_con.execute("select count(*) from mhsds.measures").fetchone()[0] == 0


def _zip_with(path: Path, members: dict[str, bytes], link: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_zipped_download_is_read_member_by_member_and_hostile_members_refused(raw_con, tmp_path, monkeypatch):
    monkeypatch.setenv("IPSKPI_ZIP_MAX_MEMBER_BYTES", "100000")
    landing = tmp_path / "landing"
    _zip_with(
        landing / "mhsds" / "MHSDS_2024-04.zip",
        {
            "MHSDS Data_Apr2024.csv": mhsds([mhsds_row("MHS116", "5"), mhsds_row("MRS01", "7")]).encode(),
            "../escape.csv": b"x",
            "/abs.csv": b"x",
            "bomb.csv": b"0" * 200_000,
        },
        link="link.csv",
    )
    results = {r.file_path: r for r in load_public_sources(raw_con, landing, "run")}
    good = results["mhsds/MHSDS_2024-04.zip/MHSDS Data_Apr2024.csv"]
    assert (good.status, good.rows_loaded) == ("loaded", 1)
    assert any("MRS01" in w for w in good.warnings)
    assert "climbs out" in results["mhsds/MHSDS_2024-04.zip/../escape.csv"].message
    assert "absolute" in results["mhsds/MHSDS_2024-04.zip//abs.csv"].message
    assert "symbolic link" in results["mhsds/MHSDS_2024-04.zip/link.csv"].message
    assert "more than the limit of 100,000" in results["mhsds/MHSDS_2024-04.zip/bomb.csv"].message
    assert {r.status for path, r in results.items() if path != good.file_path} == {"refused"}
    assert not (landing / "escape.csv").exists() and not (landing / "mhsds" / "escape.csv").exists()
    assert raw_con.execute("select _source_file from mhsds.measures").fetchall() == [
        ("MHSDS Data_Apr2024.csv",)
    ]
    # The same zip again: each member unchanged.
    again = load_public_sources(raw_con, landing, "run2")
    assert {r.status for r in again if r.file_path == good.file_path} == {"skipped"}


def test_member_that_lies_about_its_size_is_refused(raw_con, tmp_path, monkeypatch):
    """Declared 10 bytes, really 500,000: zipfile stops at the declared size and fails its CRC check;
    the copy's own byte count would stop it at the limit otherwise. Either way: refused."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.csv", b"0" * 500_000)
    data = bytearray(buffer.getvalue())
    # Patch the declared uncompressed size (local header offset 22, central directory +24) to 10 bytes.
    data[22:26] = (10).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    (tmp_path / "mhsds").mkdir()
    (tmp_path / "mhsds" / "lie.zip").write_bytes(bytes(data))
    monkeypatch.setenv("IPSKPI_ZIP_MAX_MEMBER_BYTES", "1000")
    (result,) = load_public_sources(raw_con, tmp_path, "run")
    assert result.status == "refused"
    assert "more than the limit" in result.message or "could not be extracted" in result.message


def test_landing_with_returns_at_its_top_level_or_nothing_says_so(tmp_path):
    returns = tmp_path / "provider_returns"
    a_return(tmp_path)
    with pytest.raises(
        LandingError, match=r"holds 1 provider return\(s\) at its top level \(TST01_2024-04\)"
    ):
        check_landing(returns)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(LandingError, match="holds nothing the refresh reads .found: nothing, it is empty"):
        check_landing(empty)
    (empty / "provider_returns").mkdir()
    (empty / "notes.txt").write_text("x")
    with pytest.raises(LandingError, match=r"found: notes.txt, provider_returns"):
        check_landing(empty)
    (empty / "provider_returns").rmdir()
    (empty / "provider_returns").symlink_to(returns)
    with pytest.raises(LandingError, match="provider_returns: symbolic link.s., not followed"):
        check_landing(empty)
    with pytest.raises(LandingError, match="does not exist"):
        check_landing(tmp_path / "nowhere")


def test_top_level_entries_each_get_a_state(tmp_path):
    a_return(tmp_path)
    (tmp_path / "MANIFEST.json").write_text("{}")
    (tmp_path / "Provider Returns").mkdir()
    (tmp_path / "downloads").mkdir()
    (tmp_path / "mhsds").symlink_to(tmp_path.parent)
    root, entries = check_landing(tmp_path)
    states = {e.name: (e.status, e.message) for e in entries}
    assert states["MANIFEST.json"][0] == "ignored"
    assert states["Provider Returns"] == (
        "not_recognised",
        "not a source folder; to be read it must be named provider_returns/ (the landing holds "
        "provider_returns/, nomis_aps/, dwp_esa/, cqc_cmh_survey/, mhsds/, commissioner_returns/)",
    )
    assert states["downloads"][0] == "not_recognised"
    assert states["mhsds"][0] == "refused" and "outside the landing" in states["mhsds"][1]
    assert root == tmp_path.resolve() and "provider_returns" not in states


def test_file_warnings_and_unused_sources_reach_summary_report_and_load_summary(raw_con, tmp_path):
    (tmp_path / "mhsds").mkdir()
    (tmp_path / "mhsds" / "MHSDS Data_4WW_SepPerf_2024.csv").write_text(
        mhsds([mhsds_row("MRS01", "12"), mhsds_row("MRS02", "3")])
    )
    loads = load_public_sources(raw_con, tmp_path, "run")
    (result,) = loads
    assert (result.status, result.rows_loaded) == ("loaded", 0)
    summary = RefreshSummary("run", "published", tmp_path, tmp_path, loads=loads)
    text = summary.to_text()
    assert "Files     1 loaded (1 of them with no usable row), 0 refused" in text
    assert "WARNING source mhsds: no row of any of its files was used tonight" in text
    assert (
        "WARNING mhsds/MHSDS Data_4WW_SepPerf_2024.csv: no row of this file was used (0 rows loaded)" in text
    )
    assert "2 row(s) of 2 measure(s) the warehouse does not use were skipped (MRS01, MRS02)" in text
    summary.loads.append(LoadResult("x", "mhsds/```x|y.csv", "not_recognised", message="a\nb"))
    report = write_report(summary, tmp_path / "run").read_text()
    assert report.split("\n")[2] == "````"  # the fence outlasts the file name's backticks
    assert "| mhsds/```x\\|y.csv | not_recognised | 0 | 0 | a b |" in report
    assert "| mhsds/MHSDS Data_4WW_SepPerf_2024.csv | loaded | 0 | 0 |" in report
    assert "no row of this file was used" in report.split("## Files")[1]
    forged = LoadResult(
        "x", "mhsds/a\nIPS KPI refresh run: PUBLISHED\x1b[2J.csv", "not_recognised", message="m"
    )
    assert (
        "NOT RECOGNISED mhsds/a\\x0aIPS KPI refresh run: PUBLISHED\\x1b[2J.csv: m"
        in RefreshSummary("run", "published", tmp_path, tmp_path, loads=[forged]).to_text()
    )
    ensure_history(raw_con)
    record_loads(raw_con, "run", loads)
    (warnings,) = raw_con.execute("select warnings from ops.load_summary").fetchone()
    assert "MRS01" in warnings and "no row of this file was used" in warnings


def test_summary_counts_add_up_to_the_entries_of_the_landing(raw_con, tmp_path):
    a_return(tmp_path)
    (tmp_path / "provider_returns" / "TST01_2024-04_v2").mkdir()
    (tmp_path / "provider_returns" / "TST01_2024-04" / "notes.txt").write_text("x")
    (tmp_path / "mhsds").mkdir()
    (tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv").write_text(mhsds([mhsds_row("MHS116", "5")]))
    (tmp_path / "mhsds" / "~$lock.csv").write_text("")
    loads = load(raw_con, tmp_path) | {r.file_path: r for r in load_public_sources(raw_con, tmp_path, "run")}
    text = RefreshSummary("run", "published", tmp_path, tmp_path, loads=list(loads.values())).to_text()
    assert (
        "2 loaded, 0 refused, 0 unchanged since an earlier load (skipped), 1 not recognised, 1 ignored"
        in text
    )
    assert "(4 in the landing)" in text
    assert (
        "NOT RECOGNISED provider_returns/TST01_2024-04_v2: to be read it must be named TST01_2024-04/" in text
    )
    (note,) = loads["provider_returns/TST01_2024-04"].warnings
    assert note.startswith("notes.txt: not a contract table; ignored (a return folder holds referrals.csv,")
    assert "WARNING provider_returns/TST01_2024-04: notes.txt: not a contract table" in text


def test_landing_where_no_provider_return_could_ever_be_loaded_is_refused(tmp_path):
    from flows.refresh import ingest_landing

    (tmp_path / "provider_returns").mkdir()
    (tmp_path / "provider_returns" / "RX4_2025_01.xlsx").write_bytes(b"x")
    (tmp_path / "mhsds").mkdir()
    (tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv").write_text(mhsds([mhsds_row("MHS116", "5")]))
    with pytest.raises(LandingError, match="holds no provider return that could be loaded") as caught:
        ingest_landing.fn(tmp_path, tmp_path / "raw.duckdb", "run")
    assert "provider_returns/RX4_2025_01.xlsx (not recognised)" in str(caught.value)
    # Once a return has loaded, a night whose landing brings none is normal (the files were archived).
    a_return(tmp_path, provider="RX4", month="2024-04")
    loads = ingest_landing.fn(tmp_path, tmp_path / "raw.duckdb", "run2")
    assert {r.status for r in loads if r.file_path == "provider_returns/RX4_2024-04"} == {"loaded"}
    shutil.rmtree(tmp_path / "provider_returns" / "RX4_2024-04")
    assert ingest_landing.fn(tmp_path, tmp_path / "raw.duckdb", "run3")


def test_provider_return_whose_every_row_was_rejected_says_so(raw_con, tmp_path):
    write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1", gender="7")]})
    (result,) = load(raw_con, tmp_path).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 0, 1)
    assert result.warnings == ["no row of this return was loaded (0 rows loaded, 1 rejected)"]
