"""The commissioner reports ("what people read"), built from a real published database and
opened in a real headless Chromium.

One module fixture runs the real ``ipskpi refresh`` on the bundled sample and copies only
the public marts (fct_kpi_scorecard_public and the dim_ tables) into a separate file, so
the reports are shown to need nothing restricted. Chromium is Debian's ``chromium``; the
fixture installs it when it is missing (as root) and skips only when that is impossible.
"""

from __future__ import annotations

import argparse
import csv
import html
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING
from ipskpi.publish import PUBLIC_TABLES  # what the public tree holds: all a report may read
from ipskpi.report import build_reports
from ipskpi.report.cli import add_report_command
from ipskpi.report.labels import format_value

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
VALUE_FOR_MONEY = (
    "job_outcomes",
    "job_outcome_rate",
    "cost_per_job_outcome",
    "active_clients_per_wte",
    "job_starts_per_wte",
    "new_referrals_per_wte",
    "carried_over",
)
LOCAL_CONTEXT = ("employment_rate", "mhsds_employed_rate")
# What a figure cell may show: a value (optionally with its target status), suppressed, or n/a
# (or "not published": MHSDS has no MHS116 figure for the provider, triangulation panel).
# A figure, then its coverage marks: ‡ (an expected monthly return missing), p (provisional).
FIGURE = re.compile(
    r"^(— suppressed \*|n/a †|per provider only|not published|"
    r"£?-?[\d,]+(\.\d+)?(%| days)?)( ‡)?( p)?( ✓ Met| ✗ Not met)?$"
)
# Console output of any kind (there is no script), a script error, or a network fetch.
BROWSER_PROBLEM = re.compile(r"CONSOLE|Uncaught|Failed to load resource|net::ERR_|Refused to", re.I)


# --- fixtures -----------------------------------------------------------------------------


def copy_public_marts(source: Path, target: Path) -> Path:
    """A database holding only the public marts of a published file."""
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as published (read_only)")
        for table in PUBLIC_TABLES:
            con.execute(f"create table main.{table} as select * from published.main.{table}")
        con.execute("detach published")
    finally:
        con.close()
    return target


@pytest.fixture(scope="module")
def published(tmp_path_factory, request) -> Path:
    """A public-marts-only copy of the database one real refresh of the sample publishes.

    The refresh is the session's shared one (tests/conftest.py, sample_warehouse);
    IPSKPI_TEST_PUBLISHED_DB=<published.duckdb> reuses a database published earlier.
    """
    target = tmp_path_factory.mktemp("report-warehouse")
    reuse = os.environ.get("IPSKPI_TEST_PUBLISHED_DB")
    if reuse:
        source = Path(reuse)
        assert source.exists(), f"IPSKPI_TEST_PUBLISHED_DB={reuse} does not exist"
    else:
        warehouse, _ = request.getfixturevalue("sample_warehouse")
        source = warehouse / "public" / "public.duckdb"
    return copy_public_marts(source, target / "public_only.duckdb")


@pytest.fixture(scope="module")
def reports(published: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    paths = build_reports(published, out)
    return {p.stem: p for p in paths}


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed with apt-get when it is missing."""
    if shutil.which(CHROMIUM) is None:
        if os.geteuid() != 0:
            pytest.skip("chromium is not installed and the tests are not running as root to install it")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=600, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "chromium"],
                check=True,
                capture_output=True,
                timeout=900,
                env=env,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"could not install chromium with apt-get: {exc}")
    if shutil.which(CHROMIUM) is None:
        pytest.skip("chromium is still missing after apt-get install")
    return CHROMIUM


def scorecard(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def provider_under_test(db: Path) -> str:
    """The provider with the most suppressed monthly job-start cells (so suppression shows),
    among those with some figure shown (a chart with nothing to show is left out)."""
    rows = scorecard(
        db,
        """select org_code from fct_kpi_scorecard_public
           where org_level = 'provider' and kpi_code in ('job_starts', 'people_into_work')
             and period_type = 'month' and breakdown_type is null
           group by org_code
           having sum(case when is_suppressed then 0 else 1 end) > 0
           order by sum(case when is_suppressed then 1 else 0 end) desc, org_code
           limit 1""",
    )
    return rows[0][0]


def render(chromium: str, page: Path, tmp: Path, mode: list[str]) -> tuple[str, str, float]:
    """Run headless Chromium on a page; returns stdout, stderr and the wall time."""
    profile = tmp / f"profile-{time.monotonic_ns()}"
    started = time.perf_counter()
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *mode, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, result.stderr, seconds


def browser_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if BROWSER_PROBLEM.search(line)]


def strip_tags(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def svgs(dom: str) -> list[tuple[str, str]]:
    """(data-chart, inner markup) of every svg in the DOM."""
    return [
        (re.search(r'data-chart="([^"]*)"', attrs).group(1) if 'data-chart="' in attrs else "", body)
        for attrs, body in re.findall(r"<svg\b([^>]*)>(.*?)</svg>", dom, re.S)
    ]


def table_rows(dom: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: row header text -> the cells' text."""
    for table in re.findall(r"<table\b.*?</table>", dom, re.S):
        found = re.search(r"<caption>(.*?)</caption>", table, re.S)
        if found and strip_tags(found.group(1)) == caption:
            rows = {}
            body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
            for tr in re.findall(r"<tr\b.*?</tr>", body, re.S):
                cells = re.findall(r"<t([hd])\b[^>]*>(.*?)</t[hd]>", tr, re.S)
                rows[strip_tags(cells[0][1])] = [strip_tags(c) for kind, c in cells[1:] if kind == "d"]
            return rows
    raise AssertionError(f"no table captioned {caption!r}")


def month_label(day) -> str:
    return f"{day.strftime('%b')} {day.year}"


# --- tests --------------------------------------------------------------------------------


def test_reports_are_written_for_england_each_provider_and_an_index(
    published: Path, reports: dict[str, Path]
):
    # Issue 15: a page per NHS England region and ICB beside the provider pages.
    orgs = {
        r[0]
        for r in scorecard(
            published,
            "select distinct org_code from fct_kpi_scorecard_public where org_level in ('provider', 'icb', 'region')",
        )
    }
    assert {"QHM", "Y63"} <= orgs
    assert set(reports) == {"england", "index", *orgs}
    index = reports["index"].read_text()
    for name in ("england", *orgs):
        assert f'href="{name}.html"' in index


def test_pages_are_self_contained_with_no_script_and_no_external_url(reports: dict[str, Path]):
    for path in reports.values():
        page = path.read_text()
        assert re.search(r'<html lang="en-GB">', page), path
        assert "<script" not in page.lower(), f"{path.name} has a script"
        assert "http://" not in page and "https://" not in page, f"{path.name} names an external URL"
        assert not re.search(r"""(src|href)\s*=\s*["']?//""", page), (
            f"{path.name} has a protocol-relative URL"
        )
        assert not re.search(r"url\((?!#)", page), f"{path.name} loads a CSS resource"
        assert "<link" not in page.lower() and "@import" not in page, f"{path.name} loads a stylesheet"


@pytest.mark.parametrize("which", ["england", "provider"])
def test_page_renders_in_headless_chromium_with_charts_and_no_errors(
    which: str, chromium: str, published: Path, reports: dict[str, Path], tmp_path: Path
):
    page = reports["england" if which == "england" else provider_under_test(published)]
    dom, stderr, dom_seconds = render(chromium, page, tmp_path, ["--dump-dom"])
    screenshot = tmp_path / f"{page.stem}.png"
    _, shot_stderr, seconds = render(
        chromium, page, tmp_path, [f"--screenshot={screenshot}", "--window-size=1280,4000"]
    )
    print(
        f"\n{page.name}: screenshot {screenshot} ({screenshot.stat().st_size:,} bytes), render {seconds:.2f}s (dump-dom {dom_seconds:.2f}s)"
    )

    assert screenshot.exists() and screenshot.stat().st_size > 50_000
    assert browser_problems(stderr + shot_stderr) == []
    assert '<html lang="en-GB">' in dom
    assert "<script" not in dom.lower()
    assert re.search(r"<h1>", dom)
    charts = svgs(dom)
    assert len(charts) >= 5, f"only {len(charts)} charts"
    for kind, body in charts:
        assert re.search(r"<title\b", body), f"chart {kind} has no title"
        assert re.search(r'<(path|rect|circle|polygon)\b[^>]*class="mark', body), (
            f"chart {kind} has no data marks"
        )
    text = strip_tags(re.sub(r"<style>.*?</style>", "", dom, flags=re.S))
    for word in ("NaN", "None", "undefined", "Infinity"):
        assert not re.search(rf"\b{word}\b", dom), f"{word!r} in the DOM of {page.name}"
    # Every figure cell is a number, "suppressed" or n/a (definitions may say "is null"; cells may not).
    for figure in re.findall(r'<td class="num">(.*?)</td>', dom, re.S):
        assert FIGURE.match(strip_tags(figure)), f"{strip_tags(figure)!r} in a figure cell of {page.name}"
    assert "Scorecard against targets" in text
    # Every panel either shows its figures or says plainly that they are not yet published.
    for section in re.findall(r'<section class="panel".*?</section>', dom, re.S):
        assert "<svg" in section or "<table" in section or "Not yet available" in section


def test_suppressed_cells_show_as_suppressed_never_zero_and_as_gaps_in_charts(
    chromium: str, published: Path, reports: dict[str, Path], tmp_path: Path
):
    org = provider_under_test(published)
    dom, stderr, _ = render(chromium, reports[org], tmp_path, ["--dump-dom"])
    assert browser_problems(stderr) == []
    cells = {
        (kpi, start): (suppressed, value)
        for kpi, start, suppressed, value in scorecard(
            published,
            """select kpi_code, period_start, is_suppressed, value from fct_kpi_scorecard_public
               where org_code = ? and period_type = 'month' and breakdown_type is null
                 and kpi_code in ('job_starts', 'people_into_work')""",
            [org],
        )
    }
    suppressed = [k for k, (s, _) in cells.items() if s]
    assert suppressed, "the sample should have suppressed monthly job starts for this provider"
    rows = table_rows(dom, "Job starts and people into work by month: the figures")
    for (kpi, start), (is_suppressed, value) in cells.items():
        shown = rows[month_label(start)][0 if kpi == "job_starts" else 1]
        if is_suppressed:
            assert "suppressed" in shown and shown != "0", (kpi, start, shown)
        else:
            assert shown == format_value(float(value), "count"), (kpi, start, shown)
    chart = dict(svgs(dom))["job-starts-by-month"]
    bars = re.findall(r'<rect\b[^>]*class="mark bar"', chart)
    expected_bars = sum(1 for s, v in cells.values() if not s and v is not None)
    assert len(bars) == expected_bars
    assert len(re.findall(r'class="suppressed-mark"', chart)) == len(suppressed)
    assert 'id="fn-suppressed"' in dom and "fewer than 5" in dom


def test_every_kpi_shown_carries_its_definition(published: Path, reports: dict[str, Path]):
    names = dict(scorecard(published, "select kpi_name, kpi_code from dim_kpis"))
    for path in (reports["england"], *(p for k, p in reports.items() if k not in ("england", "index"))):
        page = path.read_text()
        labels = re.findall(
            r'<span class="kpi-name" title="([^"]*)">([^<]*)</span><a class="fn def-link" href="#([^"]+)"',
            page,
        )
        assert labels, path
        for title, name, anchor in labels:
            assert title.strip(), (path.name, name)
            if html.unescape(name) in names:  # catalogued: its own definition, not the stand-in
                assert "Definition not yet" not in title, (path.name, name)
            assert f'id="{anchor}"' in page, (path.name, anchor)


def test_each_kpi_appears_in_the_report_panel_the_registry_names(published: Path, reports: dict[str, Path]):
    """dim_kpis.report_panel (the KPI registry) is true: every KPI it places in a panel is
    defined in that panel of some page (the footnote id def-<panel>-<kpi_code>)."""
    registered = scorecard(
        published, "select kpi_code, report_panel from dim_kpis where coalesce(report_panel, '') <> ''"
    )
    assert len(registered) > 40
    pages = "".join(path.read_text() for key, path in reports.items() if key != "index")
    missing = [(code, panel) for code, panel in registered if f'id="def-{panel}-{code}"' not in pages]
    assert not missing


def test_reports_carry_no_record_identifiers(reports: dict[str, Path]):
    identifiers: set[str] = set()
    for name, columns in (
        ("referrals.csv", ("referral_id", "client_id")),
        ("staff.csv", ("employment_specialist_id",)),
        ("jobs.csv", ("job_id",)),
    ):
        for path in sorted((SAMPLE_LANDING / "provider_returns").glob(f"*/{name}"))[:40]:
            with path.open(newline="") as handle:
                for record in csv.DictReader(handle):
                    identifiers.update(record[c] for c in columns if record.get(c))
    assert len(identifiers) > 1000
    for path in reports.values():
        page = path.read_text()
        tokens = set(re.findall(r"[A-Za-z0-9]+", page))
        assert not tokens & identifiers, f"{path.name} shows {sorted(tokens & identifiers)[:5]}"
        for column in ("referral_id", "client_id", "employment_specialist_id", "contact_id", "job_id"):
            assert column not in page


def test_absent_panels_say_not_yet_available_and_light_up_when_rows_appear(published: Path, tmp_path: Path):
    db = tmp_path / "public.duckdb"
    shutil.copy(published, db)
    codes = (*VALUE_FOR_MONEY, *LOCAL_CONTEXT)
    marks = ", ".join("?" for _ in codes)
    con = duckdb.connect(str(db))
    con.execute(f"delete from fct_kpi_scorecard_public where kpi_code in ({marks})", list(codes))
    con.close()
    before = build_reports(db, tmp_path / "before")
    provider = next(p for p in before if p.stem not in ("england", "index"))
    for page in (provider, tmp_path / "before" / "england.html"):
        text = page.read_text()
        for panel in ("value-for-money", "local-context"):
            section = re.search(rf'<section class="panel" id="{panel}".*?</section>', text, re.S).group(0)
            assert "Not yet available" in section and "<svg" not in section, (page.name, panel)

    con = duckdb.connect(str(db))
    con.execute(
        """insert into fct_kpi_scorecard_public (org_code, org_level, period_type, period_start, period_end,
               kpi_code, breakdown_type, breakdown_value, numerator, denominator, value, target_min,
               target_max, target_status, as_of_date, is_suppressed)
           select org_code, org_level, period_type, period_start, period_end, kpi_code,
                  null, null, null, null, value, target_min, target_max, target_status,
                  as_of_date, false
           from (select distinct org_code, org_level, period_type, period_start, period_end, as_of_date
                 from fct_kpi_scorecard_public) as periods
           cross join (values ('cost_per_job_outcome', 3400.0, 2818.0, 4024.0, 'met'),
                              ('job_outcome_rate', 0.42, 0.30, 0.61, 'met'),
                              ('employment_rate', 0.75, null, null, null),
                              ('mhsds_employed_rate', 0.09, null, null, null))
                as kpis(kpi_code, value, target_min, target_max, target_status)
           where period_type = 'financial_year'
              or (kpi_code = 'job_outcome_rate' and period_type = 'quarter')
              or (kpi_code = 'mhsds_employed_rate' and period_type = 'month')"""
    )
    con.close()
    after = build_reports(db, tmp_path / "after")
    page = next(p for p in after if p.stem == provider.stem).read_text()
    vfm = re.search(r'<section class="panel" id="value-for-money".*?</section>', page, re.S).group(0)
    assert 'data-chart="cost-per-job-outcome"' in vfm and 'data-chart="job-outcome-rate"' in vfm
    assert "£3,400" in vfm and "£2,818 to £4,024" in vfm
    context = re.search(r'<section class="panel" id="local-context".*?</section>', page, re.S).group(0)
    assert 'data-chart="local-context"' in context and "75.0%" in context and "9.0%" in context
    # Still missing from the published rows: named as not yet available, not shown as 0.
    assert "Not yet available" in vfm and "active_clients_per_wte" in vfm


def test_pages_say_what_the_figures_rest_on_and_mark_incomplete_and_provisional_cells(
    published: Path, tmp_path: Path
):
    db = tmp_path / "public.duckdb"
    shutil.copy(published, db)
    con = duckdb.connect(str(db))
    latest = con.execute(
        "select max(period_start) from fct_kpi_scorecard_public where period_type = 'financial_year'"
    ).fetchone()[0]
    expected = con.execute(
        """select max(providers_expected) from fct_kpi_scorecard_public
           where org_code = 'ENG' and period_type = 'financial_year' and period_start = ?""",
        [latest],
    ).fetchone()[0]
    provider = con.execute(
        "select min(org_code) from fct_kpi_scorecard_public where org_level = 'provider'"
    ).fetchone()[0]
    # One provider's month of the latest year had no accepted return: England rests on one
    # provider fewer, and that provider on one month fewer; both are flagged incomplete.
    con.execute(
        """update fct_kpi_scorecard_public
           set providers_reporting = providers_expected - 1, months_with_return = months_expected - 1,
               is_incomplete = true
           where org_code in ('ENG', ?) and period_type = 'financial_year' and period_start = ?""",
        [provider, latest],
    )
    con.close()
    pages = {p.stem: p.read_text() for p in build_reports(db, tmp_path / "site")}
    england = strip_tags(pages["england"])
    assert f"based on {expected - 1} of {expected} providers' returns" in england
    con = duckdb.connect(str(db), read_only=True)
    provider_months = con.execute(
        """select max(months_expected) from fct_kpi_scorecard_public
           where org_code = ? and period_type = 'financial_year' and period_start = ?""",
        [provider, latest],
    ).fetchone()[0]
    con.close()
    assert f"based on {provider_months - 1} of {provider_months} monthly returns" in strip_tags(
        pages[provider]
    )
    assert 'data-incomplete="true"' in pages["england"] and 'data-incomplete="true"' in pages[provider]
    # The latest year includes every provider's latest month: provisional, marked p.
    assert 'data-provisional="true"' in pages["england"]
    assert 'id="fn-incomplete"' in pages["england"] and 'id="fn-provisional"' in pages["england"]


def test_report_command_builds_the_pages(published: Path, tmp_path: Path, capsys):
    parser = argparse.ArgumentParser(prog="ipskpi")
    add_report_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", "--published", str(published), "--out", str(tmp_path / "site")])
    assert args.func(args) == 0
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "site" / "england.html").exists()
    assert "index.html" in capsys.readouterr().out


def test_untrusted_text_in_the_public_tables_is_escaped_on_every_page(published: Path, tmp_path: Path):
    """Names, labels and breakdown values reach the pages as text, never as markup: a
    provider name, a KPI name and breakdown values holding HTML (as a hostile public
    file or seed edit could) come out escaped on every page, the index included."""
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
    db = tmp_path / "public.duckdb"
    shutil.copy(published, db)
    con = duckdb.connect(str(db))
    con.execute("update dim_providers set provider_name = provider_name || ?", [hostile])
    con.execute("update dim_kpis set kpi_name = kpi_name || ?", [hostile])
    con.execute(
        "update fct_kpi_scorecard_public set breakdown_value = breakdown_value || ? where breakdown_type is not null",
        [hostile],
    )
    con.close()
    pages = build_reports(db, tmp_path / "hostile")
    assert len(pages) > 2
    escaped = html.escape("<script>alert(1)</script>", quote=False)
    for page in pages:
        text = page.read_text().lower()
        assert "<script" not in text and "<img" not in text, page.name
    # The text is shown (escaped), not dropped: the provider and KPI names carry it.
    assert escaped in (tmp_path / "hostile" / "index.html").read_text()
    assert escaped in (tmp_path / "hostile" / "england.html").read_text()


@pytest.mark.parametrize("dropped", [(), ("months_expected", "is_incomplete", "as_of_date", "target_min")])
def test_load_public_reads_the_same_cells_as_the_dataframe_path(published: Path, tmp_path: Path, dropped):
    """The report reads the scorecard through DuckDB's own types (the fast path); it must
    give exactly the cells a DataFrame of the same table gives, also for an older published
    file without some columns (a missing flag is false, a missing number null)."""
    from ipskpi.report.data import DIMENSIONS, PUBLIC_SCORECARD, PublishedData, load_public
    from ipskpi.sql import attach

    db = tmp_path / "public.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(attach("published", published, "read_only"))
        exclude = f" exclude ({', '.join(dropped)})" if dropped else ""
        con.execute(
            f"create table {PUBLIC_SCORECARD} as select *{exclude} from published.main.{PUBLIC_SCORECARD}"
        )
        for table in DIMENSIONS:
            con.execute(f"create table {table} as select * from published.main.{table}")
        con.execute("detach published")
        frames = {t: con.execute(f"select * from {t}").df() for t in (PUBLIC_SCORECARD, *DIMENSIONS)}
    fast = load_public(db)
    slow = PublishedData(
        frames[PUBLIC_SCORECARD],
        frames["dim_kpis"],
        frames["dim_providers"],
        frames["dim_periods"],
        frames["dim_organisations"],
    )
    assert len(fast._cells) == len(frames[PUBLIC_SCORECARD]) > 1000
    assert fast._cells == slow._cells
    assert fast._by_kpi_org == slow._by_kpi_org
    assert fast.as_of_date == slow.as_of_date
    assert (fast.as_of_date is None) == ("as_of_date" in dropped)
    assert fast.provider_codes() == slow.provider_codes() and len(fast.provider_codes()) >= 5
    assert all(fast.area_codes(level) == slow.area_codes(level) for level in ("icb", "region"))
    if dropped:
        cell = next(iter(fast._cells.values()))
        assert cell.months_expected is None and cell.is_incomplete is False and cell.target_min is None


def test_icb_and_region_pages_show_their_own_mhsds_employment_rate_not_englands(
    published: Path, reports: dict[str, Path]
):
    # Issue 15: MHSDS AMH17e% is published for England, each ICB and each region, never per
    # provider; each page's local-context panel shows its own level's figure.
    rows = scorecard(
        published,
        """select org_code, org_level, period_start, value from fct_kpi_scorecard_public
           where kpi_code = 'mhsds_employed_rate' and period_type = 'financial_year'
             and breakdown_type is null and not is_suppressed and value is not null""",
    )
    values = {(org, start): value for org, _, start, value in rows}
    levels = {org: level for org, level, _, _ in rows}
    assert {"icb", "region", "england"} <= set(levels.values())
    assert "provider" not in levels.values()
    caption = "Employment rate: the figures"
    checked = 0
    for (org, start), value in values.items():
        if levels[org] == "england":
            continue
        england = values[("ENG", start)]
        assert value != england  # the sample's figures differ, so the page cannot show England's
        label = f"FY {start.year}-{(start.year + 1) % 100:02d}"
        shown = table_rows(reports[org].read_text(), caption)[label][1]
        assert shown.startswith(format_value(float(value), "rate")), (org, label, shown)
        checked += 1
    assert checked >= 4
    # A provider page has no AMH17e% of its own and says where to find it.
    provider = scorecard(
        published, "select min(org_code) from fct_kpi_scorecard_public where org_level = 'provider'"
    )[0][0]
    page = reports[provider].read_text()
    assert all(cells[1].startswith("n/a") for cells in table_rows(page, caption).values())
    assert "does not publish the mental health services rate (MHSDS AMH17e%) per provider" in page


def test_provider_pages_show_the_return_access_count_beside_mhsds_or_not_published(
    published: Path, reports: dict[str, Path]
):
    # Issue 15: triangulation (fct_ips_access_triangulation_public) on each provider page.
    rows = scorecard(
        published,
        """select provider_code, period_start, return_access_12m, is_return_suppressed,
                  mhsds_access_12m, has_mhsds_row
           from fct_ips_access_triangulation_public
           qualify period_start = max(period_start) over (partition by provider_code)""",
    )
    with_mhsds = [r for r in rows if r[5] and r[4] is not None and not r[3]]
    without = [r for r in rows if not r[5]]
    assert with_mhsds and without, rows
    caption = "People accessing IPS in the rolling 12 months, {}: the return and MHSDS"
    for code, start, returned, _, mhsds, _ in with_mhsds:
        cells = table_rows(reports[code].read_text(), caption.format(code))[month_label(start)]
        assert cells[:2] == [format_value(float(returned), "count"), format_value(float(mhsds), "count")]
    for code, start, *_ in without:
        page = reports[code].read_text()
        cells = table_rows(page, caption.format(code))[month_label(start)]
        assert cells[1] == "not published" and cells[2].startswith("n/a"), (code, cells)
        assert "MHS116 is NHS Digital's figure" in html.unescape(page)
    assert 'id="triangulation"' not in reports["england"].read_text()
