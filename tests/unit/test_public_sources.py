"""The public-source loader: every layout of public-sources.md loads, bad values are rejected with
reasons, suppressed cells stay null, reloads are idempotent and changed files supersede.

Files are written in tmp_path in the real layouts (headers copied from public-sources.md).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from ipskpi.ingest.public.common import MHSDS_COLUMNS
from ipskpi.ingest.public_sources import load_public_sources

NOMIS_FULL_HEADER = [
    "DATE",
    "DATE_NAME",
    "DATE_CODE",
    "DATE_TYPE",
    "DATE_TYPECODE",
    "DATE_SORTORDER",
    "GEOGRAPHY",
    "GEOGRAPHY_NAME",
    "GEOGRAPHY_CODE",
    "GEOGRAPHY_TYPE",
    "GEOGRAPHY_TYPECODE",
    "GEOGRAPHY_SORTORDER",
    "VARIABLE",
    "VARIABLE_NAME",
    "VARIABLE_CODE",
    "VARIABLE_TYPE",
    "VARIABLE_TYPECODE",
    "VARIABLE_SORTORDER",
    "MEASURES",
    "MEASURES_NAME",
    "OBS_VALUE",
    "OBS_STATUS",
    "OBS_STATUS_NAME",
    "OBS_CONF",
    "OBS_CONF_NAME",
    "URN",
    "RECORD_OFFSET",
    "RECORD_COUNT",
]
STATUS_NAMES = {
    "A": "Normal Value",
    "!": "Estimate and confidence interval not available since the group sample size is zero or "
    "disclosive (0-2)",
    "*": "Estimate and confidence interval unreliable since the group sample size is small (3-9)",
    "~": "Estimate is less than 500",
    "-": "These figures are missing.",
}
MEASURE_NAMES = {20599: "Variable", 21001: "Numerator", 21002: "Denominator", 21003: "Confidence"}
SELECT_ROWS = """DATE_NAME,GEOGRAPHY_NAME,GEOGRAPHY_CODE,VARIABLE_NAME,MEASURES_NAME,OBS_VALUE,OBS_STATUS_NAME
Jul 2016-Jun 2017,Barking and Dagenham,E09000002,Employment rate - aged 16-64,Variable,67.3,Normal Value
Oct 2016-Sep 2017,Barking and Dagenham,E09000002,Employment rate - aged 16-64,Variable,67,Normal Value
Jul 2016-Jun 2017,Barking and Dagenham,E09000002,Unemployment rate - aged 16-64 ,Variable,9.6,Normal Value
"""
MHSDS_HEADER = ",".join(MHSDS_COLUMNS)
COMMISSIONING_HEADER = (
    "la_code,comprehensive_range,multi_agency_forum,primary_care_onsite_2_sessions,"
    "primary_care_gp_response_5_days,primary_care_gp_joint_working,primary_care_therapist_joint_working,"
    "primary_care_employer_contact,primary_care_benefits_advice,nhs_trust_code,nhs_new_recruits,"
    "nhs_recruits_declaring_mh_condition"
)
CONDITIONS = ["Certain infectious and parasitic diseases", "Mental and behavioural disorders", "Total"]


def quoted(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def nomis_full_row(
    geo: str, variable: int, measure: int, value: object, status: str = "A", year: int = 2024
) -> dict[str, object]:
    names = {45: "Employment rate - aged 16-64", 84: "Unemployment rate - aged 16-64 "}
    return {
        "DATE": f"{year}-12", "DATE_NAME": f"Jan {year}-Dec {year}", "DATE_CODE": f"{year}-12",
        "DATE_TYPE": "date", "DATE_TYPECODE": 0, "DATE_SORTORDER": 0, "GEOGRAPHY": 1778384950,
        "GEOGRAPHY_NAME": "Somewhere", "GEOGRAPHY_CODE": geo,
        "GEOGRAPHY_TYPE": "local authorities: district / unitary (as of April 2023)",
        "GEOGRAPHY_TYPECODE": 424, "GEOGRAPHY_SORTORDER": 0, "VARIABLE": variable,
        "VARIABLE_NAME": names.get(variable, "Other"), "VARIABLE_CODE": variable, "VARIABLE_TYPE": "variable",
        "VARIABLE_TYPECODE": 0, "VARIABLE_SORTORDER": 0, "MEASURES": measure,
        "MEASURES_NAME": MEASURE_NAMES[measure], "OBS_VALUE": value, "OBS_STATUS": status,
        "OBS_STATUS_NAME": STATUS_NAMES[status], "OBS_CONF": "F", "OBS_CONF_NAME": "Free (free for publication)",
        "URN": f"Nm-17d5d{year}-12d1778384950d{variable}d{measure}", "RECORD_OFFSET": 0, "RECORD_COUNT": 0,
    }  # fmt: skip


def write_nomis_full(path: Path, rows: list[dict[str, object]]) -> Path:
    """The raw API form: every header and string quoted, numbers (and OBS_VALUE) not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(f'"{h}"' for h in NOMIS_FULL_HEADER)]
    lines += [",".join(quoted(r[h]) for h in NOMIS_FULL_HEADER) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def statxplore(month_label: str, rows: list[list[object]]) -> str:
    title = [
        ["Title", "ESA caseload by ICDGP condition and local authority"],
        ["Dataset", "ESA Caseload"],
        ["Database", "str:database:ESA_Caseload"],
        ["Quarter", month_label],
        ["Counting", "Claimants"],
        [],
    ]
    body = [["National - Regional - LA - OAs", *CONDITIONS], *rows]
    notes = [
        [],
        ["Footnotes:"],
        [
            "1. Statistical disclosure control has been applied to this table to avoid the release of "
            "confidential data. Totals may not equal the sum of other cells."
        ],
        ["Source: DWP Stat-Xplore, ESA caseload."],
    ]
    return "\n".join(",".join(quoted(v) for v in line) for line in title + body + notes) + "\n"


def mhsds(rows: list[str]) -> str:
    return "\n".join([MHSDS_HEADER, *rows]) + "\n"


def mhsds_row(measure: str, value: str, provider: str = "RV5", month: str = "2024-04") -> str:
    return f"{month}-01,{month}-30,Performance,Provider,{provider},{provider},NONE,NONE,{measure},A measure,{value}"


CQC_HEADER = ["TrustCode", "trustname", "n_tpat", "Q38_1", "Q38_2", "Q47_1"]
CQC_ROWS = [
    ["RX4", "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust", 264, 37.7, 14.0, 21.1],
    ["RXT", "Birmingham and Solihull Mental Health NHS Foundation Trust", 232, 31.2, 20.9, None],
]


def write_cqc_xlsx(path: Path, sheet: str, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Note"])
    book.active.append(["Trust-level results (percentages of respondents)."])
    scores = book.create_sheet(sheet)
    for line in [CQC_HEADER, *rows]:
        scores.append(line)
    book.save(path)
    return path


def write_cqc_ods(path: Path, sheet: str, rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="odf") as writer:
        pd.DataFrame({"Note": ["Trust-level results."]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame(rows, columns=CQC_HEADER).to_excel(writer, sheet_name=sheet, index=False)
    return path


def load(con, landing: Path, run_id: str = "run"):
    return {r.return_id: r for r in load_public_sources(con, landing, run_id)}


def rejections(con) -> list[tuple]:
    return con.execute(
        "select source, row_number, column_name, value, rule from ingest.rejected_rows "
        "where rule <> 'return_refused' order by source, row_number, column_name"
    ).fetchall()


# --- NOMIS ------------------------------------------------------------------------------------


def test_nomis_full_quoted_layout_loads_with_lineage(raw_con, tmp_path):
    write_nomis_full(tmp_path / "nomis_aps" / "aps_2024_full.csv", [
        nomis_full_row("E06000057", 45, 20599, 77),
        nomis_full_row("E06000057", 45, 21001, 96500),
        nomis_full_row("E92000001", 84, 20599, 4.1),
    ])  # fmt: skip
    result = load(raw_con, tmp_path)["aps_2024_full.csv"]
    assert (result.status, result.source, result.rows_loaded, result.rows_rejected) == (
        "loaded",
        "nomis_aps",
        3,
        0,
    )
    rows = raw_con.execute(
        "select date_code, geography_code, variable_code, variable_name, measure_code, obs_value, obs_status, "
        "layout, _source_file, _row_number, length(_file_hash), _is_superseded "
        "from nomis_aps.observations order by _row_number"
    ).fetchall()
    assert rows[0] == (
        "2024-12",
        "E06000057",
        45,
        "Employment rate - aged 16-64",
        20599,
        77.0,
        "A",
        "full",
        "aps_2024_full.csv",
        2,
        64,
        False,
    )
    assert rows[2][1:6] == ("E92000001", 84, "Unemployment rate - aged 16-64", 20599, 4.1)
    ledger = raw_con.execute(
        "select source, return_id, file_path, status, rows_loaded from ingest.load_ledger"
    ).fetchall()
    assert ledger == [("nomis_aps", "aps_2024_full.csv", "nomis_aps/aps_2024_full.csv", "loaded", 3)]


def test_nomis_select_unquoted_layout_matches_trimmed_names_to_seed_codes(raw_con, tmp_path):
    write_text(tmp_path / "nomis_aps" / "aps_select.csv", SELECT_ROWS)
    result = load(raw_con, tmp_path)["aps_select.csv"]
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 3, 0)
    rows = raw_con.execute(
        "select date_code, variable_code, variable_name, measure_code, obs_value, obs_status, layout "
        "from nomis_aps.observations order by _row_number"
    ).fetchall()
    assert rows == [
        ("2017-06", 45, "Employment rate - aged 16-64", 20599, 67.3, "A", "select"),
        ("2017-09", 45, "Employment rate - aged 16-64", 20599, 67.0, "A", "select"),
        ("2017-06", 84, "Unemployment rate - aged 16-64", 20599, 9.6, "A", "select"),
    ]


@pytest.mark.parametrize("status", ["!", "*", "~", "-"])
def test_suppressed_nomis_cell_is_null_with_its_status_never_zero(raw_con, tmp_path, status):
    full = [
        nomis_full_row("E06000057", 45, 20599, 0, status),
        nomis_full_row("E06000063", 45, 20599, None, status),
    ]
    write_nomis_full(tmp_path / "nomis_aps" / "full.csv", full)
    select = SELECT_ROWS.splitlines()[0] + (
        f"\nJan 2024-Dec 2024,Cumberland,E06000063,Employment rate - aged 16-64,Variable,,{STATUS_NAMES[status]}\n"
    )
    write_text(tmp_path / "nomis_aps" / "select.csv", select)
    results = load(raw_con, tmp_path)
    assert all(r.status == "loaded" and r.rows_rejected == 0 for r in results.values())
    rows = raw_con.execute(
        "select layout, obs_value, obs_status, obs_status_name from nomis_aps.observations order by layout"
    ).fetchall()
    assert rows == [
        ("full", None, status, STATUS_NAMES[status]),
        ("full", None, status, STATUS_NAMES[status]),
        ("select", None, status, STATUS_NAMES[status]),
    ]


def test_nomis_bad_values_are_rejected_with_reasons_and_good_rows_load(raw_con, tmp_path):
    write_nomis_full(tmp_path / "nomis_aps" / "aps.csv", [
        nomis_full_row("E06000057", 45, 20599, 77),
        nomis_full_row("W06000001", 45, 20599, 70),
        nomis_full_row("E06000063", 45, 20599, "n/a"),
        nomis_full_row("E06000057", 45, 20599, 78),
    ])  # fmt: skip
    write_text(
        tmp_path / "nomis_aps" / "names.csv",
        SELECT_ROWS.splitlines()[0] + "\n"
        "Jan 2024-Dec 2024,Cumberland,E06000063,Employment rate - aged 16-24,Variable,50,Normal Value\n",
    )
    results = load(raw_con, tmp_path)
    assert (results["aps.csv"].rows_loaded, results["aps.csv"].rows_rejected) == (1, 3)
    assert rejections(raw_con) == [
        ("nomis_aps", 2, "VARIABLE_NAME", "Employment rate - aged 16-24", "unknown_variable"),
        ("nomis_aps", 3, "GEOGRAPHY_CODE", "W06000001", "bad_geography"),
        ("nomis_aps", 4, "OBS_VALUE", "n/a", "not_a_number"),
        ("nomis_aps", 5, "measure_code", "20599", "duplicate_key"),
    ]
    reasons = [
        r[0] for r in raw_con.execute("select reason from ingest.rejected_rows order by reason").fetchall()
    ]
    assert "aps.csv row 4: OBS_VALUE 'n/a' is not a number" in reasons
    assert any(r.startswith("aps.csv row 3: GEOGRAPHY_CODE 'W06000001' is not a GSS code") for r in reasons)


# --- DWP ESA ----------------------------------------------------------------------------------


def test_nm_134_1_loads_in_the_long_shape(raw_con, tmp_path):
    header = (
        "DATE,DATE_NAME,DATE_CODE,GEOGRAPHY,GEOGRAPHY_NAME,GEOGRAPHY_CODE,SEX_NAME,AGE_NAME,ICDGP_CONDITION,"
        "ICDGP_CONDITION_NAME,MEASURES,MEASURES_NAME,OBS_VALUE,OBS_STATUS,OBS_STATUS_NAME"
    )
    rows = [
        '"2018-11","November 2018","2018-11",1778384950,"Northumberland","E06000057","Total","Total",0,"Total",20100,"Value",4270,"A","Normal Value"',
        '"2018-11","November 2018","2018-11",1778384950,"Northumberland","E06000057","Total","Total",5,"Mental and behavioural disorders",20100,"Value",2110,"A","Normal Value"',
    ]  # fmt: skip
    write_text(tmp_path / "dwp_esa" / "esa_nm_134_1_2018-11.csv", "\n".join([header, *rows]) + "\n")
    result = load(raw_con, tmp_path)["esa_nm_134_1_2018-11.csv"]
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    assert raw_con.execute(
        "select date_code, la_code, condition_code, condition_name, sex, age, claimants, layout, _row_number "
        "from dwp_esa.claimants order by _row_number"
    ).fetchall() == [
        ("2018-11", "E06000057", 0, "Total", "Total", "Total", 4270, "nm_134_1", 2),
        (
            "2018-11",
            "E06000057",
            5,
            "Mental and behavioural disorders",
            "Total",
            "Total",
            2110,
            "nm_134_1",
            3,
        ),
    ]


def test_statxplore_export_with_title_block_and_footnotes_loads(raw_con, tmp_path):
    text = statxplore("May-24", [
        ["Northumberland", 0, 1380, 2690],
        ["Nowhere Borough", 10, 20, 30],
        ["Cumberland", 20, "lots", 1910],
        ["Total", 20, 1400, 4630],
    ])  # fmt: skip
    write_text(tmp_path / "dwp_esa" / "esa_statxplore_2024-05.csv", text)
    result = load(raw_con, tmp_path)["esa_statxplore_2024-05.csv"]
    assert result.status == "loaded"
    assert (result.rows_loaded, result.rows_rejected) == (5, 4)
    rows = raw_con.execute(
        "select date_code, la_code, la_name, condition_code, condition_name, claimants, layout, _row_number "
        "from dwp_esa.claimants order by _row_number, condition_code"
    ).fetchall()
    assert rows == [
        ("2024-05", "E06000057", "Northumberland", 0, "Total", 2690, "stat_xplore", 8),
        ("2024-05", "E06000057", "Northumberland", 1, CONDITIONS[0], 0, "stat_xplore", 8),
        ("2024-05", "E06000057", "Northumberland", 5, CONDITIONS[1], 1380, "stat_xplore", 8),
        ("2024-05", "E06000063", "Cumberland", 0, "Total", 1910, "stat_xplore", 10),
        ("2024-05", "E06000063", "Cumberland", 1, CONDITIONS[0], 20, "stat_xplore", 10),
    ]
    assert rejections(raw_con) == [
        ("dwp_esa", 9, "area", "Nowhere Borough", "unknown_area"),
        ("dwp_esa", 10, CONDITIONS[1], "lots", "not_a_number"),
    ]
    warnings = raw_con.execute("select rule from ingest.file_warnings").fetchall()
    assert warnings == [("total_row_not_loaded",)]


# --- CQC survey -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_cqc_survey_loads_from_each_format_in_the_long_shape(raw_con, tmp_path, fmt):
    folder = tmp_path / "cqc_cmh_survey"
    if fmt == "xlsx":
        write_cqc_xlsx(folder / "cmh_survey_2021.xlsx", "CMH21_Trust_Scores", CQC_ROWS)
    elif fmt == "ods":
        write_cqc_ods(folder / "cmh_survey_2021.ods", "CMH21_Trust_Scores", CQC_ROWS)
    else:
        lines = [",".join(CQC_HEADER), *(",".join(quoted(v) for v in r) for r in CQC_ROWS)]
        write_text(folder / "cmh_survey_2021.csv", "\n".join(lines) + "\n")
    (result,) = load(raw_con, tmp_path).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 6, 0)
    rows = raw_con.execute(
        "select survey_year, trust_code, respondents, answer_column, value, _row_number "
        "from cqc_cmh_survey.trust_results order by _row_number, answer_column"
    ).fetchall()
    assert rows == [
        (2021, "RX4", 264, "Q38_1", 37.7, 2), (2021, "RX4", 264, "Q38_2", 14.0, 2),
        (2021, "RX4", 264, "Q47_1", 21.1, 2), (2021, "RXT", 232, "Q38_1", 31.2, 3),
        (2021, "RXT", 232, "Q38_2", 20.9, 3), (2021, "RXT", 232, "Q47_1", None, 3),
    ]  # fmt: skip
    source_file = raw_con.execute(
        "select distinct _source_file from cqc_cmh_survey.trust_results"
    ).fetchone()[0]
    assert source_file == (f"cmh_survey_2021.{fmt}" + ("" if fmt == "csv" else "[CMH21_Trust_Scores]"))


def test_cqc_year_comes_from_the_sheet_when_the_file_name_has_none(raw_con, tmp_path):
    rows = [*CQC_ROWS, ["RXTT", "Not a trust code", 100, 1, 2, 3], ["RV5", "South London", "many", 1, 2, "x"]]
    write_cqc_xlsx(tmp_path / "cqc_cmh_survey" / "trust_results.xlsx", "CMH23_Trust_Scores", rows)
    (result,) = load(raw_con, tmp_path).values()
    assert result.status == "loaded" and result.rows_loaded == 6
    assert raw_con.execute("select distinct survey_year from cqc_cmh_survey.trust_results").fetchall() == [
        (2023,)
    ]
    assert rejections(raw_con) == [
        ("cqc_cmh_survey", 4, "TrustCode", "RXTT", "bad_format"),
        ("cqc_cmh_survey", 5, "Q47_1", "x", "not_a_number"),
        ("cqc_cmh_survey", 5, "n_tpat", "many", "not_a_number"),
    ]


# --- MHSDS ------------------------------------------------------------------------------------


def test_mhsds_star_is_kept_as_text_with_a_null_number(raw_con, tmp_path):
    write_text(tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv", mhsds([
        mhsds_row("MHS116", "*"),
        mhsds_row("MHS116a", "28.1"),
        mhsds_row("AMH17e", "35"),
        mhsds_row("MHS01", "12345"),
        mhsds_row("AMH16e%", "about 70"),
        mhsds_row("", "7"),
    ]))  # fmt: skip
    (result,) = load(raw_con, tmp_path).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 3, 2)
    rows = raw_con.execute(
        "select reporting_period_start, measure_id, measure_value, measure_value_number, secondary_level "
        "from mhsds.measures order by _row_number"
    ).fetchall()
    assert [r[1:] for r in rows] == [
        ("MHS116", "*", None, "NONE"),
        ("MHS116a", "28.1", 28.1, "NONE"),
        ("AMH17e", "35", 35.0, "NONE"),
    ]
    assert str(rows[0][0]) == "2024-04-01"
    assert rejections(raw_con) == [
        ("mhsds", 6, "MEASURE_VALUE", "about 70", "not_a_number"),
        ("mhsds", 7, "MEASURE_ID", None, "required"),
    ]


def test_mhsds_measures_the_warehouse_does_not_use_are_skipped_and_counted_not_rejected(raw_con, tmp_path):
    write_text(tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv", mhsds([
        mhsds_row("MHS116", "40"),
        *(mhsds_row(f"MHS{n:02d}", "12345") for n in range(1, 13)),
        mhsds_row("MHS01", "99", provider="RX4"),
    ]))  # fmt: skip
    (result,) = load(raw_con, tmp_path).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert rejections(raw_con) == []
    assert raw_con.execute("select rule, message from ingest.file_warnings").fetchall() == [
        (
            "other_measures_skipped",
            "13 row(s) of 12 measure(s) the warehouse does not use were skipped (MHS01, MHS02, MHS03, "
            "MHS04, MHS05, MHS06, MHS07, MHS08, MHS09, MHS10 and 2 more); it uses MHS116, MHS116a, "
            "AMH16e%, AMH17e, AMH17e%",
        )
    ]


# --- idempotence and supersession -------------------------------------------------------------


def snapshot(con) -> tuple:
    tables = [
        "nomis_aps.observations",
        "dwp_esa.claimants",
        "cqc_cmh_survey.trust_results",
        "mhsds.measures",
        "commissioner_returns.commissioning",
        "ingest.load_ledger",
        "ingest.rejected_rows",
        "ingest.file_warnings",
    ]
    return tuple(con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables) + (
        con.execute("select count(*) from mhsds.measures where _is_superseded").fetchone()[0],
    )


def write_one_of_each(landing: Path) -> None:
    write_text(landing / "nomis_aps" / "aps_select.csv", SELECT_ROWS)
    write_text(
        landing / "dwp_esa" / "esa_statxplore_2024-05.csv",
        statxplore("May-24", [["Northumberland", 0, 5, 5]]),
    )
    write_cqc_ods(landing / "cqc_cmh_survey" / "cmh_survey_2022.ods", "CMH22_Trust_Scores", CQC_ROWS)
    write_text(landing / "mhsds" / "mhsds_monthly_2024-04.csv", mhsds([mhsds_row("MHS116", "*")]))
    write_text(
        landing / "commissioner_returns" / "commissioning_2024.csv",
        COMMISSIONING_HEADER + "\nE06000057,Y,N,U,Y,Y,N,N,Y,RX4,325,13\n",
    )


def test_loading_the_same_files_twice_changes_nothing(raw_con, tmp_path):
    write_one_of_each(tmp_path)
    first = load(raw_con, tmp_path, "run1")
    assert {r.status for r in first.values()} == {"loaded"} and len(first) == 5
    before = snapshot(raw_con)
    second = load(raw_con, tmp_path, "run2")
    assert {r.status for r in second.values()} == {"skipped"}
    assert snapshot(raw_con) == before


def test_a_changed_file_with_the_same_name_supersedes_the_earlier_load(raw_con, tmp_path):
    path = tmp_path / "mhsds" / "mhsds_monthly_2024-04.csv"
    write_text(path, mhsds([mhsds_row("MHS116", "*"), mhsds_row("MHS116a", "1.0")]))
    load(raw_con, tmp_path, "run1")
    write_text(path, mhsds([mhsds_row("MHS116", "10")]))
    (result,) = load(raw_con, tmp_path, "run2").values()
    assert result.status == "loaded" and "replaces the earlier load" in result.message
    current = raw_con.execute(
        "select measure_id, measure_value from mhsds.measures where not _is_superseded"
    ).fetchall()
    assert current == [("MHS116", "10")]
    assert raw_con.execute("select count(*) from mhsds.measures where _is_superseded").fetchone() == (2,)
    statuses = raw_con.execute(
        "select run_id, status, superseded_by is not null from ingest.load_ledger order by loaded_at"
    ).fetchall()
    assert statuses == [("run1", "superseded", True), ("run2", "loaded", False)]


def test_a_later_file_replaces_the_overlapping_rows_of_an_earlier_one(raw_con, tmp_path):
    write_nomis_full(tmp_path / "nomis_aps" / "a_2024.csv", [
        nomis_full_row("E06000057", 45, 20599, 70), nomis_full_row("E06000063", 45, 20599, 71),
    ])  # fmt: skip
    load(raw_con, tmp_path, "run1")
    write_nomis_full(
        tmp_path / "nomis_aps" / "b_2024_refetch.csv", [nomis_full_row("E06000057", 45, 20599, 72)]
    )
    results = load(raw_con, tmp_path, "run2")
    assert "replaces 1 row(s) of earlier files" in results["b_2024_refetch.csv"].message
    current = raw_con.execute(
        "select geography_code, obs_value from nomis_aps.observations where not _is_superseded order by 1"
    ).fetchall()
    assert current == [("E06000057", 72.0), ("E06000063", 71.0)]


# --- refusals ---------------------------------------------------------------------------------


def test_unreadable_files_are_refused_whole_and_the_others_still_load(raw_con, tmp_path):
    write_one_of_each(tmp_path)
    write_text(tmp_path / "nomis_aps" / "garbled.csv", "this;is;not;nomis\n1;2;3;4\n")
    (tmp_path / "cqc_cmh_survey" / "cmh_survey_2023.xlsx").write_bytes(b"PK\x03\x04 truncated zip")
    (tmp_path / "mhsds" / "mhsds_monthly_2024-05.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x81\n")
    write_text(tmp_path / "dwp_esa" / "esa_notes.csv", "just a note\nnothing else\n")
    write_text(tmp_path / "dwp_esa" / "esa_fruit.csv", "Area,Apples,Pears,Plums\nNorthumberland,1,2,3\n")
    write_text(
        tmp_path / "commissioner_returns" / "commissioning_2025.csv",
        "la_code,comprehensive_range\nE06000057,Y\n",
    )
    write_text(tmp_path / "commissioner_returns" / "checklist.csv", COMMISSIONING_HEADER + "\n")
    results = load(raw_con, tmp_path)
    refused = {name for name, r in results.items() if r.status == "refused"}
    assert refused == {
        "garbled.csv",
        "cmh_survey_2023.xlsx",
        "mhsds_monthly_2024-05.csv",
        "esa_notes.csv",
        "esa_fruit.csv",
        "commissioning_2025.csv",
        "checklist.csv",
    }
    assert {r.status for n, r in results.items() if n not in refused} == {"loaded"}
    assert "not a NOMIS NM_17_5 extract" in results["garbled.csv"].message
    assert "could not be opened as a workbook" in results["cmh_survey_2023.xlsx"].message
    assert "no ICDGP condition columns" in results["esa_fruit.csv"].message
    assert "missing required column(s) multi_agency_forum" in results["commissioning_2025.csv"].message
    assert "commissioning_<YYYY>.csv" in results["checklist.csv"].message
    refusals = raw_con.execute(
        "select count(*) from ingest.rejected_rows where rule = 'return_refused'"
    ).fetchone()
    assert refusals == (7,)
    assert raw_con.execute("select count(*) from mhsds.measures").fetchone() == (1,)
    assert raw_con.execute("select count(*) from commissioner_returns.commissioning").fetchone() == (1,)


# --- commissioner returns ---------------------------------------------------------------------


def test_commissioner_return_rejects_bad_rows_one_by_one(raw_con, tmp_path):
    write_text(tmp_path / "commissioner_returns" / "commissioning_2024.csv", "\n".join([
        COMMISSIONING_HEADER,
        "E06000057,Y,N,U,Y,Y,N,N,Y,RX4,325,13",
        "E06000063,X,N,U,Y,Y,N,N,Y,RX4,196,4",
        "W06000001,Y,N,U,Y,Y,N,N,Y,RX4,196,4",
        "E08000021,Y,N,U,Y,Y,N,N,Y,RX4,-3,4",
        "E06000057,Y,Y,Y,Y,Y,Y,Y,Y,RX4,1,1",
        "E08000022,N,N,N,N,N,N,N,N,RX4,,",
    ]) + "\n")  # fmt: skip
    (result,) = load(raw_con, tmp_path).values()
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 4)
    assert rejections(raw_con) == [
        ("commissioner_returns", 3, "comprehensive_range", "X", "unknown_code"),
        ("commissioner_returns", 4, "la_code", "W06000001", "bad_format"),
        ("commissioner_returns", 5, "nhs_new_recruits", "-3", "out_of_range"),
        ("commissioner_returns", 6, "la_code", "E06000057", "duplicate_key"),
    ]
    reason = raw_con.execute(
        "select reason from ingest.rejected_rows where column_name = 'comprehensive_range'"
    ).fetchone()[0]
    assert reason == "commissioning_2024.csv row 3: comprehensive_range 'X' is not a valid code (Y, N, U)"
    assert raw_con.execute(
        "select financial_year, la_code, nhs_new_recruits from commissioner_returns.commissioning order by 2"
    ).fetchall() == [("2024", "E06000057", "325"), ("2024", "E08000022", None)]


def test_every_raw_row_carries_full_lineage(raw_con, tmp_path):
    write_one_of_each(tmp_path)
    load(raw_con, tmp_path)
    for table in [
        "nomis_aps.observations",
        "dwp_esa.claimants",
        "cqc_cmh_survey.trust_results",
        "mhsds.measures",
        "commissioner_returns.commissioning",
    ]:
        missing = raw_con.execute(
            f"select count(*) from {table} where _load_id is null or _source_file is null or _file_hash is null "
            "or _row_number is null or _loaded_at is null or _is_superseded is null"
        ).fetchone()[0]
        total = raw_con.execute(f"select count(*) from {table}").fetchone()[0]
        assert total > 0 and missing == 0, table
