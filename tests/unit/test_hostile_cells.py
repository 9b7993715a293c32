"""Odd and hostile input in provider returns and paths (issue 13, items 2 and 4).

Cells: control characters and over-long values are rejected per row with a rule; a byte
that is not UTF-8 rejects only its row, naming the line and byte offset; every value kept
in ``ingest.rejected_rows`` (and every untrusted name in a message) is escaped and cut.
Paths: the SQL helpers quote, and the ingest reads exactly the file it was given even
when its path holds glob characters.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ipskpi import sql
from ipskpi.ingest.provider_returns import load_provider_returns
from tests.returns import contact, referral, staff, write_csv_return
from tests.unit.test_provider_return_xlsx import build_workbook, save


def load(con, root: Path):
    return load_provider_returns(con, root / "provider_returns", "run", root)


def rejected(con) -> list[tuple]:
    return con.execute(
        "select table_name, row_number, column_name, value, rule, reason from ingest.rejected_rows "
        "where rule <> 'return_refused' order by table_name, row_number, column_name, rule"
    ).fetchall()


def ids(con, table: str, key: str) -> list[str]:
    return [r[0] for r in con.execute(f"select {key} from provider_returns.{table} order by 1").fetchall()]


def test_nul_and_control_characters_reject_their_row_and_are_stored_escaped(raw_con, tmp_path):
    write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [
                referral("R1"),
                referral("R2", team_code="T\x00X"),
                referral("R3", client_id="C3\x1b[31m"),
                referral("R4", team_code="T\tWITH\nBREAK"),  # tab and newline in quoted text: allowed
            ],
            "contacts": [contact("K1"), contact("K2", employment_specialist_id="ES\x07")],
            "staff": [staff()],
        },
    )
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 4, 3)
    rows = rejected(raw_con)
    assert [(t, n, c, v, r) for t, n, c, v, r, _ in rows] == [
        ("contacts", 3, "employment_specialist_id", "ES\\x07", "control_character"),
        ("referrals", 3, "team_code", "T\\x00X", "control_character"),
        ("referrals", 4, "client_id", "C3\\x1b[31m", "control_character"),
    ]
    assert rows[1][5] == (
        "referrals.csv row 3: team_code T\\x00X holds a control character (shown as \\xNN); "
        "only tab and line breaks may be in text"
    )
    assert ids(raw_con, "referrals", "referral_id") == ["R1", "R4"]
    for value, reason in raw_con.execute("select value, reason from ingest.rejected_rows").fetchall():
        assert not any(ord(ch) < 0x20 for ch in value + reason)


def test_value_over_the_length_limit_is_rejected_and_kept_cut(raw_con, tmp_path):
    huge = "C" * 1_000_000
    write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [
                referral("R1"),
                referral("R2", client_id=huge),
                referral("R3", team_code="T" * 255),
            ],
            "contacts": [contact("K1", contact_type="x" * 300)],
        },
    )
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 2)
    rules = {(t, n, c, r) for t, n, c, _, r, _ in rejected(raw_con)}
    assert rules == {
        ("referrals", 3, "client_id", "too_long"),
        ("contacts", 2, "contact_type", "too_long"),
        ("contacts", 2, "contact_type", "unknown_code"),
    }
    value, reason = raw_con.execute(
        "select value, reason from ingest.rejected_rows where column_name = 'client_id'"
    ).fetchone()
    assert value == "C" * 100 + "… (1000000 characters)"
    assert reason.startswith("referrals.csv row 3: client_id is 1000000 characters long, more than the 255")
    longest = raw_con.execute(
        "select max(length(value)), max(length(reason)) from ingest.rejected_rows"
    ).fetchone()
    assert longest[0] < 200 and longest[1] < 600
    assert ids(raw_con, "referrals", "referral_id") == ["R1", "R3"]  # 255 characters is allowed


def test_a_cp1252_byte_rejects_only_its_row_naming_line_and_byte_offset(raw_con, tmp_path):
    folder = write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [referral("R1"), referral("R2", team_code="T02"), referral("R3")],
            "contacts": [contact("K1"), contact("K2", referral_id="R3")],
        },
    )
    path = folder / "referrals.csv"
    data = path.read_bytes()
    offset = data.index(b"T02")
    path.write_bytes(data[:offset] + b"\xa3" + data[offset + 1 :])  # "£02" as Excel's plain CSV saves it
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 4, 1)
    ((table, row, column, value, rule, reason),) = rejected(raw_con)
    assert (table, row, column, value, rule) == ("referrals", 3, "team_code", "\\xA302", "invalid_encoding")
    assert f"line 3, byte offset {offset}: byte 0xA3 is not UTF-8" in reason
    assert reason.startswith("referrals.csv row 3: team_code: line 3")
    assert ids(raw_con, "referrals", "referral_id") == ["R1", "R3"]
    assert ids(raw_con, "contacts", "contact_id") == ["K1", "K2"]
    loaded = raw_con.execute(
        "select team_code from provider_returns.referrals order by referral_id"
    ).fetchall()
    assert loaded == [("T01",), ("T01",)]


def test_a_file_with_a_bad_byte_and_a_1_mb_value_rejects_both_rows_and_loads_the_rest(raw_con, tmp_path):
    folder = write_csv_return(
        tmp_path / "provider_returns",
        tables={
            "referrals": [
                referral("R1"),
                referral("R2", team_code="T02"),
                referral("R3", client_id="C" * 2**20),
            ]
        },
    )
    path = folder / "referrals.csv"
    data = path.read_bytes()
    offset = data.index(b"T02")
    path.write_bytes(data[:offset] + b"\xa3" + data[offset + 1 :])
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 2)
    assert [(n, c, r) for _, n, c, _, r, _ in rejected(raw_con)] == [
        (3, "team_code", "invalid_encoding"),
        (4, "client_id", "too_long"),
    ]


def test_a_header_that_is_not_utf8_refuses_the_return_naming_line_1(raw_con, tmp_path):
    folder = write_csv_return(tmp_path / "provider_returns", tables={"referrals": [referral("R1")]})
    path = folder / "referrals.csv"
    path.write_bytes(path.read_bytes().replace(b"team_code", b"team_\xe9code", 1))
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    offset = path.read_bytes().index(b"\xe9")
    assert result.message.startswith(
        f"referrals.csv: the header row is not UTF-8 (line 1, byte offset {offset}: byte 0xE9 is not UTF-8"
    )


def test_workbook_cells_get_the_same_control_character_and_length_rules(raw_con, tmp_path):
    tables = {"referrals": [referral("R1"), referral("R2"), referral("R3")]}
    workbook = build_workbook(tables)
    sheet = workbook["referrals"]
    sheet["D3"] = "T_x0000_X"  # Excel's escape for a NUL: calamine reads it back as one
    sheet["D4"] = "T" * 256
    save(workbook, tmp_path)
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 2)
    assert [(n, c, v[:8], r) for _, n, c, v, r, _ in rejected(raw_con)] == [
        (3, "team_code", "T\\x00X", "control_character"),
        (4, "team_code", "TTTTTTTT", "too_long"),
    ]


def test_untrusted_header_names_are_escaped_in_warnings(raw_con, tmp_path):
    workbook = build_workbook({"referrals": [referral("R1")]})
    sheet = workbook["referrals"]
    sheet.cell(row=1, column=sheet.max_column + 1, value="bad_x000A_| column")
    workbook.create_sheet("notes | to self")
    save(workbook, tmp_path)
    (result,) = load(raw_con, tmp_path)
    assert result.status == "loaded"
    messages = [
        r[0] for r in raw_con.execute("select message from ingest.file_warnings order by 1").fetchall()
    ]
    assert any("column 'bad\\x0a| column' is not in the contract" in m for m in messages), messages
    assert any("sheet 'notes | to self' is not a contract table" in m for m in messages), messages
    assert not any(ord(ch) < 0x20 for ch in result.message + "".join(messages))


def test_sql_helpers_quote_literals_and_identifiers():
    con = duckdb.connect()
    tricky = 'it\'s "q" $(x); drop table t; --'
    assert con.execute(f"select {sql.literal(tricky)}").fetchone()[0] == tricky
    column = sql.ident('a "b')
    con.execute(f"create table {sql.ident(tricky)} as select 1 as {column}")
    assert con.execute(f"select {column} from {sql.ident(tricky)}").fetchone()[0] == 1
    assert sql.shown_text("a\x00b\n" + "z" * 200, 10) == "a\\x00b\\x0azzzzzz… (204 characters)"


def test_attach_takes_any_path_and_readers_read_exactly_the_file_given(tmp_path):
    folder = tmp_path / 'it\'s "q" $(touch x);&|*?[1]'
    decoy = tmp_path / 'it\'s "q" $(touch x);&|_Z1'  # matches the folder's name read as a glob
    for where, value in ((folder, "real"), (decoy, "decoy")):
        where.mkdir()
        (where / "t.csv").write_text(f"v\n{value}\n")
    con = duckdb.connect()
    con.execute(sql.attach("db", tmp_path / "a'b.duckdb"))
    con.execute("create table db.t as select 1 as x")
    bound = con.execute("select v from read_csv(?)", [str(folder / "t.csv")]).fetchall()
    assert bound == [("decoy",)]  # DuckDB's own behaviour: the argument is a glob
    escaped = con.execute("select v from read_csv(?)", [sql.file_pattern(folder / "t.csv")]).fetchall()
    assert escaped == [("real",)]


def test_a_return_under_a_folder_with_glob_characters_loads_its_own_rows(raw_con, tmp_path):
    root = tmp_path / "land [1]*?"
    decoy = tmp_path / "land 1xy"  # what "land [1]*?" matches as a glob
    write_csv_return(root / "provider_returns", tables={"referrals": [referral("R1")]})
    write_csv_return(decoy / "provider_returns", tables={"referrals": [referral("DECOY")]})
    (result,) = load(raw_con, root)
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    assert ids(raw_con, "referrals", "referral_id") == ["R1"]


def test_run_report_keeps_untrusted_file_names_and_messages_inside_their_cells(tmp_path):
    from ipskpi.ingest.provider_returns import LoadResult
    from ipskpi.summary import RefreshSummary, write_report

    hostile = "nomis_aps/a|b\n```\n# injected.csv"
    summary = RefreshSummary("run", "blocked", tmp_path / "landing", tmp_path / "warehouse")
    summary.loads = [LoadResult("x", hostile, "refused", message="bad\nline | ```")]
    report = write_report(summary, tmp_path / "run").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| nomis_aps")]
    # Line breaks fold to spaces in a table cell, | is escaped; the last cell is the file warnings.
    assert rows == ["| nomis_aps/a\\|b ``` # injected.csv | refused | 0 | 0 | bad line \\| ``` |  |"]
    assert "\n# injected" not in report
    fence = report.splitlines()[2]
    assert fence == "````" and report.count("\n````\n") == 2
