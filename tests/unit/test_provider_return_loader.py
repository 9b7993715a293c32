"""The provider-return loader: each bad input gets the exact rejection, and good rows still load."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ipskpi.ingest import ledger
from ipskpi.ingest.provider_returns import load_provider_returns
from tests.returns import contact, job, referral, staff, write_csv_return


def load(con, tmp_path: Path, run_id: str = "run"):
    return load_provider_returns(con, tmp_path / "provider_returns", run_id, tmp_path)


def rejections(con) -> list[tuple]:
    return con.execute(
        "select table_name, row_number, column_name, value, rule from ingest.rejected_rows "
        "where rule <> 'return_refused' order by table_name, row_number, column_name"
    ).fetchall()


def loaded_ids(con, table: str, key: str) -> list[str]:
    return [r[0] for r in con.execute(f"select {key} from provider_returns.{table} order by 1").fetchall()]


def test_valid_return_loads_every_row_with_lineage(raw_con, tmp_path):
    write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [referral("R1"), referral("R2")],
            "contacts": [contact("K1")],
            "staff": [staff()],
        },
    )
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 4, 0)
    row = raw_con.execute(
        "select _source_file, _row_number, _return_month, length(_file_hash) "
        "from provider_returns.referrals where referral_id = 'R2'"
    ).fetchone()
    assert row == ("referrals.csv", 3, "2024-04", 64)


@pytest.mark.parametrize(
    ("table", "rows", "expected"),
    [
        ("referrals", [referral("R9", gender="7")], ("referrals", 3, "gender", "7", "unknown_code")),
        (
            "referrals",
            [referral("R9", team_type="ward")],
            ("referrals", 3, "team_type", "ward", "unknown_code"),
        ),
        (
            "referrals",
            [referral("R9", employment_status="1")],
            ("referrals", 3, "employment_status", "1", "unknown_code"),
        ),
        (
            "referrals",
            [referral("R9", ethnic_category="I")],
            ("referrals", 3, "ethnic_category", "I", "unknown_code"),
        ),
        (
            "referrals",
            [referral("R9", referral_date="2024-05-01", vocational_profile_date="")],
            ("referrals", 3, "referral_date", "2024-05-01", "future_date"),
        ),
        (
            "referrals",
            [referral("R9", referral_date="02/04/2024", vocational_profile_date="")],
            ("referrals", 3, "referral_date", "02/04/2024", "date_format"),
        ),
        (
            "referrals",
            [referral("R9", age_at_referral="12")],
            ("referrals", 3, "age_at_referral", "12", "out_of_range"),
        ),
        (
            "referrals",
            [referral("R9", residence_la_code="W06000001")],
            ("referrals", 3, "residence_la_code", "W06000001", "bad_format"),
        ),
        ("referrals", [referral("R1")], ("referrals", 3, "referral_id", "R1", "duplicate_key")),
        ("referrals", [referral("", client_id="C9")], ("referrals", 3, "referral_id", None, "required")),
        (
            "jobs",
            [job("J9", end_date="2024-04-01")],
            ("jobs", 2, "end_date", "2024-04-01", "ends_before_start"),
        ),
        ("jobs", [job("J9", hours_per_week="0")], ("jobs", 2, "hours_per_week", "0", "out_of_range")),
        ("jobs", [job("J9", hours_per_week="200")], ("jobs", 2, "hours_per_week", "200", "out_of_range")),
        ("jobs", [job("J9", referral_id="NOPE")], ("jobs", 2, "referral_id", "NOPE", "orphan_referral")),
        (
            "contacts",
            [contact("K9", contact_date="2024-03-30")],
            ("contacts", 2, "contact_date", "2024-03-30", "before_referral"),
        ),
        (
            "contacts",
            [contact("K9", contact_type="text_message")],
            ("contacts", 2, "contact_type", "text_message", "unknown_code"),
        ),
        ("staff", [staff(wte="1.2")], ("staff", 2, "wte", "1.2", "out_of_range")),
    ],
)
def test_bad_row_is_rejected_with_reason_and_good_rows_still_load(raw_con, tmp_path, table, rows, expected):
    tables = {"referrals": [referral("R1")], "contacts": [], "jobs": [], "staff": []}
    tables[table] = tables[table] + rows if table == "referrals" else rows
    write_csv_return(tmp_path / "provider_returns", tables=tables)
    (result,) = load(raw_con, tmp_path)
    assert result.status == "loaded"
    assert rejections(raw_con) == [expected]
    assert loaded_ids(raw_con, "referrals", "referral_id") == ["R1"]
    reason = raw_con.execute("select reason from ingest.rejected_rows").fetchone()[0]
    assert reason.startswith(f"{table}.csv row {expected[1]}: ")


def test_fidelity_item_of_6_is_rejected(raw_con, tmp_path):
    review = {"review_id": "F1", "review_date": "2024-04-10", "review_type": "external"}
    review |= {f"item_{i:02d}": "4" for i in range(1, 26)}
    write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [referral("R1")],
            "fidelity_reviews": [review | {"item_07": "6"}, review | {"review_id": "F2"}],
        },
    )
    load(raw_con, tmp_path)
    assert rejections(raw_con) == [("fidelity_reviews", 2, "item_07", "6", "out_of_range")]
    assert loaded_ids(raw_con, "fidelity_reviews", "review_id") == ["F2"]


def test_same_files_twice_change_nothing(raw_con, tmp_path):
    write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    load(raw_con, tmp_path, "night1")
    (second,) = load(raw_con, tmp_path, "night2")
    assert second.status == "skipped"
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (1,)
    assert raw_con.execute("select count(*) from ingest.load_ledger").fetchone() == (1,)


def test_a_second_night_reads_no_bytes_of_files_whose_stat_is_unchanged(raw_con, tmp_path, monkeypatch):
    write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    write_csv_return(tmp_path / "provider_returns", month="2024-05", tables={"referrals": [referral("R2")]})
    load(raw_con, tmp_path, "night1")
    reads: list[list[Path]] = []
    real_hash = ledger.hash_paths
    monkeypatch.setattr(ledger, "hash_paths", lambda paths: reads.append(paths) or real_hash(paths))
    statuses = [result.status for result in load(raw_con, tmp_path, "night2")]
    assert statuses == ["skipped", "skipped"]
    assert reads == []
    # A file touched (same bytes, new modification time) is read again, and still skipped.
    os.utime(tmp_path / "provider_returns" / "TST01_2024-05" / "jobs.csv")
    statuses = [result.status for result in load(raw_con, tmp_path, "night3")]
    assert statuses == ["skipped", "skipped"]
    assert len(reads) == 1
    assert raw_con.execute("select count(*) from ingest.file_hash_cache").fetchone() == (3,)


def test_a_file_rewritten_with_its_old_size_and_modification_time_is_still_read(raw_con, tmp_path):
    """The change time is part of the key: a copy tool can set the modification time back, not it."""
    folder = write_csv_return(
        tmp_path / "provider_returns", tables={"referrals": [referral("R1", gender="1")]}
    )
    load(raw_con, tmp_path, "night1")
    before = {path: path.stat() for path in folder.iterdir()}
    time.sleep(0.05)
    write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1", gender="2")]})
    for path, stat in before.items():
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    (resent,) = load(raw_con, tmp_path, "night2")
    assert resent.status == "loaded" and "re-sent" in resent.message
    current = raw_con.execute(
        "select gender from provider_returns.referrals where not _is_superseded"
    ).fetchall()
    assert current == [("2",)]


def test_resent_return_supersedes_the_earlier_copy_in_full(raw_con, tmp_path):
    folder = tmp_path / "provider_returns"
    write_csv_return(folder, tables={"referrals": [referral("R1"), referral("R2")]})
    load(raw_con, tmp_path, "night1")
    shutil.rmtree(folder / "TST01_2024-04")
    write_csv_return(folder, tables={"referrals": [referral("R1", gender="1")]})
    (resent,) = load(raw_con, tmp_path, "night2")
    assert resent.status == "loaded" and "re-sent" in resent.message
    current = raw_con.execute(
        "select referral_id, gender from provider_returns.referrals where not _is_superseded"
    ).fetchall()
    assert current == [("R1", "1")]
    statuses = raw_con.execute("select status from ingest.load_ledger order by loaded_at").fetchall()
    assert statuses == [("superseded",), ("loaded",)]
    # History is kept: the earlier copy is still there, flagged.
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (3,)


def test_missing_table_refuses_the_whole_return_and_others_still_load(raw_con, tmp_path):
    folder = tmp_path / "provider_returns"
    write_csv_return(folder, provider="BAD01", omit_tables=("jobs",), tables={"referrals": [referral("R1")]})
    write_csv_return(folder, provider="GOOD1", tables={"referrals": [referral("R1")]})
    results = {r.return_id: r for r in load(raw_con, tmp_path)}
    assert results["BAD01_2024-04"].status == "refused"
    assert "missing table(s) jobs" in results["BAD01_2024-04"].message
    assert results["GOOD1_2024-04"].status == "loaded"
    assert raw_con.execute("select distinct provider_code from provider_returns.referrals").fetchall() == [
        ("GOOD1",)
    ]


def test_provider_code_different_from_file_name_refuses_the_return(raw_con, tmp_path):
    folder = tmp_path / "provider_returns"
    write_csv_return(folder, tables={"referrals": [referral("R1", provider_code="OTHER")]})
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert "provider_code 'OTHER' does not match the return name TST01_2024-04" in result.message
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)


def test_missing_required_column_refuses_the_return(raw_con, tmp_path):
    target = write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    path = target / "referrals.csv"
    header, row = path.read_text().splitlines()
    columns = header.split(",")
    drop = columns.index("referral_date")
    keep = lambda line: ",".join(v for i, v in enumerate(line.split(",")) if i != drop)  # noqa: E731
    path.write_text(keep(header) + "\n" + keep(row) + "\n")
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert "referrals.csv: missing required column(s) referral_date" in result.message
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)


def test_semicolon_separated_file_is_refused_with_a_hint(raw_con, tmp_path):
    target = write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    path = target / "contacts.csv"
    path.write_text(path.read_text().replace(",", ";"))
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert "semicolon-separated" in result.message


def test_empty_file_is_refused(raw_con, tmp_path):
    target = write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    (target / "education.csv").write_bytes(b"")
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert "education.csv is empty" in result.message


def test_row_with_more_fields_than_the_header_refuses_the_return_naming_the_line(raw_con, tmp_path):
    """Returns of one batch are read together; the broken one is refused and the others load."""
    target = write_csv_return(
        tmp_path / "provider_returns", tables={"referrals": [referral("R1"), referral("R2")]}
    )
    write_csv_return(tmp_path / "provider_returns", provider="TST02", tables={"referrals": [referral("R1")]})
    lines = (target / "referrals.csv").read_text().splitlines()
    lines[2] += ",surplus"
    (target / "referrals.csv").write_text("\n".join(lines) + "\n")
    result, other = load(raw_con, tmp_path)
    assert (other.status, other.rows_loaded) == ("loaded", 1)
    assert result.status == "refused"
    assert result.message.startswith("referrals.csv could not be read as CSV: CSV Error on Line: 3")
    assert "Expected Number of Columns: 28 Found: 29" in result.message
    assert "surplus" not in result.message, "the offending line holds client data: not quoted"
    assert raw_con.execute("select distinct provider_code from provider_returns.referrals").fetchall() == [
        ("TST02",)
    ]


def test_bom_and_windows_line_endings_are_tolerated(raw_con, tmp_path):
    target = write_csv_return(
        tmp_path / "provider_returns", tables={"referrals": [referral("R1"), referral("R2")]}
    )
    path = target / "referrals.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    assert loaded_ids(raw_con, "referrals", "referral_id") == ["R1", "R2"]


def test_unknown_extra_column_is_tolerated_and_reported(raw_con, tmp_path):
    write_csv_return(
        tmp_path / "provider_returns", tables={"referrals": [referral("R1", favourite_colour="blue")]}
    )
    (result,) = load(raw_con, tmp_path)
    assert result.status == "loaded" and result.rows_loaded == 1
    warning = raw_con.execute("select table_name, column_name, rule from ingest.file_warnings").fetchall()
    assert warning == [("referrals", "favourite_colour", "unknown_column")]


def test_deleted_record_loads_as_a_withdrawal(raw_con, tmp_path):
    folder = tmp_path / "provider_returns"
    write_csv_return(folder, tables={"referrals": [referral("R1"), referral("R2")]})
    write_csv_return(folder, month="2024-05", tables={"referrals": [referral("R2", record_status="deleted")]})
    load(raw_con, tmp_path)
    row = raw_con.execute(
        "select record_status from provider_returns.referrals where referral_id = 'R2' and _return_month = '2024-05'"
    ).fetchone()
    assert row == ("deleted",)


RAW_COMPARED = "* exclude (_load_id, _loaded_at)"


def _snapshot(con) -> dict[str, list[tuple]]:
    from ipskpi.contract import PROVIDER_TABLES

    out = {
        t.name: con.execute(f"select {RAW_COMPARED} from provider_returns.{t.name} order by all").fetchall()
        for t in PROVIDER_TABLES
    }
    out["rejected_rows"] = con.execute(
        "select file_path, table_name, row_number, column_name, value, rule, reason "
        "from ingest.rejected_rows order by all"
    ).fetchall()
    out["load_ledger"] = con.execute(
        "select return_id, status, rows_loaded, rows_rejected, message from ingest.load_ledger order by all"
    ).fetchall()
    return out


def test_batched_load_equals_loading_one_return_at_a_time(tmp_path, monkeypatch):
    """Returns are validated in batches; the result must be exactly that of one return at a time,
    including rules that look across returns (orphan referrals, contacts before an earlier
    return's referral date) and a return refused whole in the middle of a batch."""
    import csv

    import duckdb

    from ipskpi.config import SAMPLE_LANDING
    from ipskpi.ingest import provider_returns

    landing = tmp_path / "landing"
    for path in sorted((SAMPLE_LANDING / "provider_returns").glob("NQV02_*"))[:8]:
        shutil.copytree(path, landing / "provider_returns" / path.name)
    months = sorted((landing / "provider_returns").iterdir())

    def append(path: Path, *new_rows: dict) -> list[dict]:
        with path.open() as handle:
            reader = csv.DictReader(handle)
            header, rows = reader.fieldnames, list(reader)
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows([*rows, *(dict(rows[0], **row) for row in new_rows)])
        return rows

    # A referral sent only in the first month's return; a later return's contacts point at it
    # (one of them dated before the referral), and one contact points at no referral at all.
    first = append(months[0] / "referrals.csv", {"referral_id": "ONLY-IN-FIRST"})[0]
    append(
        months[3] / "contacts.csv",
        {"contact_id": "LATER1", "referral_id": "ONLY-IN-FIRST", "contact_date": first["referral_date"]},
        {"contact_id": "EARLY1", "referral_id": "ONLY-IN-FIRST", "contact_date": "2000-01-01"},
        {"contact_id": "ORPHAN1", "referral_id": "NOT-A-REFERRAL"},
    )
    (months[5] / "jobs.csv").unlink()  # refused whole, between good returns

    snapshots = []
    for batch_size in (1, provider_returns.BATCH_SIZE):
        monkeypatch.setattr(provider_returns, "BATCH_SIZE", batch_size)
        con = duckdb.connect(str(tmp_path / f"raw_{batch_size}.duckdb"))
        results = load_provider_returns(con, landing / "provider_returns", "run", landing)
        snapshots.append(_snapshot(con))
        con.close()
        assert [r.status for r in results].count("refused") == 1
    one_at_a_time, batched = snapshots
    rules = {row[5] for row in one_at_a_time["rejected_rows"]}
    assert {"orphan_referral", "before_referral", "return_refused"} <= rules
    assert sum(len(rows) for rows in one_at_a_time.values()) > 500
    assert ("LATER1",) in [(r[1],) for r in one_at_a_time["contacts"]]
    for name in one_at_a_time:
        assert batched[name] == one_at_a_time[name], name
