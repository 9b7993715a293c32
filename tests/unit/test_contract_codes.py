"""Unknown codes in every coded column: each bad value is rejected alone, and the other rows load.

The valid rows are built from the contract itself (ipskpi.contract), not written by hand,
so a column or code list added to the contract is covered here without touching this file.

To stay fast, the landing folder holds one return per table (provider P01, P02, ...), loaded
once. In the return for table T every case gets its own row of T: a valid first row, then one
row per coded column of T with an invalid value in that column only, then a valid last row.
Each parametrised test then checks its own row: exactly one rejection (table, row number,
column, value, rule) and a plain-English reason; and every valid row of every table loads.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from ipskpi.contract import PROVIDER_TABLES, TABLES_BY_NAME, Column, Table
from ipskpi.ingest.provider_returns import load_provider_returns
from tests.returns import write_csv_return

MONTH = "2024-04"
VALID_ROWS = 2  # a valid first and last row in every table

# A valid example for every pattern of the contract, and a value that breaks it.
PATTERN_EXAMPLES = {r"^E0[6-9][0-9]{6}$": "E09000007"}
PATTERN_BREAKERS = {r"^[A-Z0-9]{3,5}$": "tst-01", r"^E0[6-9][0-9]{6}$": "W06000001"}
UNKNOWN_CODE = "not_a_code"


def valid_value(table: Table, column: Column, index: int, provider: str) -> str:
    """A value of ``column`` that the contract accepts; key columns differ from row to row."""
    in_key = column.name in table.key
    if column.name == "provider_code":
        return provider
    if column.name == "referral_id" and table.references_referrals:
        return "referral_id-0"  # points at the first referral of the same return
    if column.codes is not None:
        return column.codes[index % len(column.codes)] if in_key else column.codes[0]
    if column.pattern is not None:
        return PATTERN_EXAMPLES[column.pattern]
    if column.kind == "date":
        # Inside the return month; one date for every non-key date column keeps
        # start <= end, referral <= contact and referral <= closure all true.
        return f"{MONTH}-{1 + index:02d}" if in_key else f"{MONTH}-15"
    if column.kind == "month":
        return MONTH
    if column.kind == "year":
        return str(int(MONTH[:4]) - index) if in_key else MONTH[:4]
    if column.kind in ("int", "decimal"):
        low = column.minimum if column.minimum is not None else 0
        high = column.maximum if column.maximum is not None else low + 100
        middle = (low + high) / 2
        return str(int(middle)) if column.kind == "int" else f"{middle:g}"
    return f"{column.name}-{index}"


def valid_rows(table: Table, n: int, provider: str) -> list[dict[str, str]]:
    return [{c.name: valid_value(table, c, i, provider) for c in table.columns} for i in range(n)]


def valid_return(provider: str, rows: dict[str, int] | None = None) -> dict[str, list[dict[str, str]]]:
    rows = rows or {}
    return {t.name: valid_rows(t, rows.get(t.name, VALID_ROWS), provider) for t in PROVIDER_TABLES}


def coded_columns() -> list[tuple[str, str, str, str]]:
    """(table, column, bad value, rule) for every coded and every pattern column.

    provider_code is left out: any value other than the return's provider refuses the whole
    return (see test_badly_formatted_provider_code_refuses_the_return).
    """
    cases = []
    for table in PROVIDER_TABLES:
        for column in table.columns:
            if column.codes is not None:
                cases.append((table.name, column.name, UNKNOWN_CODE, "unknown_code"))
            if column.pattern is not None and column.name != "provider_code":
                cases.append((table.name, column.name, PATTERN_BREAKERS[column.pattern], "bad_format"))
    return cases


CASES = coded_columns()
CASES_BY_TABLE: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
for _case in CASES:
    CASES_BY_TABLE[_case[0]].append(_case)
PROVIDERS = {name: f"P{i:02d}" for i, name in enumerate(TABLES_BY_NAME, start=1)}


def row_number_of(case: tuple[str, str, str, str]) -> int:
    """File row of a case: header is row 1, the valid first row is row 2."""
    return CASES_BY_TABLE[case[0]].index(case) + 3


def load(con, folder: Path):
    return load_provider_returns(con, folder / "provider_returns", "run", folder)


def rejections(con, provider: str) -> list[tuple]:
    return con.execute(
        "select table_name, row_number, column_name, value, rule from ingest.rejected_rows "
        "where file_path = ? order by table_name, row_number, column_name",
        [f"provider_returns/{provider}_{MONTH}"],
    ).fetchall()


@pytest.fixture(scope="module")
def coded_load(tmp_path_factory):
    """One return per table with coded columns, each bad value in its own row; loaded once."""
    folder = tmp_path_factory.mktemp("codes")
    for table_name, cases in CASES_BY_TABLE.items():
        table = TABLES_BY_NAME[table_name]
        n_rows = len(cases) + VALID_ROWS
        tables = valid_return(PROVIDERS[table_name], {table_name: n_rows})
        for case in cases:
            _, column, bad, _ = case
            tables[table_name][row_number_of(case) - 2][column] = bad
        assert len({tuple(r[k] for k in table.key) for r in tables[table_name]}) == n_rows
        write_csv_return(
            folder / "provider_returns", provider=PROVIDERS[table_name], month=MONTH, tables=tables
        )
    con = duckdb.connect()
    results = {r.return_id[:3]: r for r in load(con, folder)}
    yield con, results
    con.close()


def test_every_pattern_has_a_valid_example_and_a_breaker():
    patterns = {c.pattern for t in PROVIDER_TABLES for c in t.columns if c.pattern}
    assert patterns <= set(PATTERN_BREAKERS)
    for pattern in patterns:
        assert not re.fullmatch(pattern, PATTERN_BREAKERS[pattern])
    for pattern, example in PATTERN_EXAMPLES.items():
        assert re.fullmatch(pattern, example)


def test_every_code_list_is_covered():
    covered = {(t, c) for t, c, _, _ in CASES}
    expected = {(t.name, c.name) for t in PROVIDER_TABLES for c in t.columns if c.codes is not None}
    assert expected <= covered
    assert len(expected) > 40  # sanity: the contract has dozens of coded columns


def test_the_generated_return_is_valid(raw_con, tmp_path):
    write_csv_return(
        tmp_path / "provider_returns", provider="TST01", month=MONTH, tables=valid_return("TST01")
    )
    (result,) = load(raw_con, tmp_path)
    assert (result.status, result.rows_rejected, rejections(raw_con, "TST01")) == ("loaded", 0, [])
    assert result.rows_loaded == VALID_ROWS * len(PROVIDER_TABLES)


@pytest.mark.parametrize("case", CASES, ids=[f"{t}.{c}" for t, c, _, _ in CASES])
def test_invalid_value_in_one_coded_column_is_rejected_alone(coded_load, case):
    con, _ = coded_load
    table, column, bad, rule = case
    provider, row = PROVIDERS[table], row_number_of(case)
    row_rejections = [r for r in rejections(con, provider) if r[1] == row]
    assert row_rejections == [(table, row, column, bad, rule)]
    (reason,) = con.execute(
        "select reason from ingest.rejected_rows where file_path = ? and row_number = ?",
        [f"provider_returns/{provider}_{MONTH}", row],
    ).fetchone()
    assert reason.startswith(f"{table}.csv row {row}: {column} '{bad}' ")
    if rule == "unknown_code":
        codes = TABLES_BY_NAME[table].column(column).codes
        assert reason.endswith(f"is not a valid code ({', '.join(codes)})")
    else:
        assert reason.endswith(f"does not match the format {TABLES_BY_NAME[table].column(column).pattern}")


@pytest.mark.parametrize("table", list(CASES_BY_TABLE))
def test_only_the_bad_rows_are_rejected_and_every_other_row_loads(coded_load, table):
    con, results = coded_load
    provider, cases = PROVIDERS[table], CASES_BY_TABLE[table]
    result = results[provider]
    assert result.status == "loaded"
    assert rejections(con, provider) == [(t, row_number_of((t, c, b, r)), c, b, r) for t, c, b, r in cases]
    assert result.rows_rejected == len(cases)
    assert result.rows_loaded == VALID_ROWS * len(PROVIDER_TABLES)
    loaded = con.execute(
        f"select _row_number from provider_returns.{table} where provider_code = ? order by 1", [provider]
    ).fetchall()
    assert loaded == [(2,), (len(cases) + 3,)]


@pytest.mark.parametrize("table", [t.name for t in PROVIDER_TABLES])
def test_badly_formatted_provider_code_refuses_the_return(raw_con, tmp_path, table):
    """provider_code is a pattern column, but any value other than the return's provider is a
    structural fault (wrong provider), so the whole return is refused rather than one row."""
    tables = valid_return("TST01")
    tables[table][1]["provider_code"] = PATTERN_BREAKERS[r"^[A-Z0-9]{3,5}$"]
    write_csv_return(tmp_path / "provider_returns", provider="TST01", month=MONTH, tables=tables)
    (result,) = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert result.message == (
        f"{table}.csv row 3: provider_code 'tst-01' does not match the return "
        f"name TST01_{MONTH} (provider TST01)"
    )
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)
