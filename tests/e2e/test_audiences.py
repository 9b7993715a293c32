"""Audiences kept apart on disk, as a user runs the refresh: the real ``ipskpi refresh`` and
``ipskpi rollback`` under umask 000 (the worst a caller can set), then every file's mode
checked by its audience and, when the tests run as root, read by other Unix accounts:
one outside the restricted group (reads the public tree only) and one inside it."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING, WarehouseLayout
from ipskpi.publish import current_release, generations
from tests.conftest import run_cli
from tests.permissions_check import (
    assert_modes,
    can_make_accounts,
    make_account,
    make_group,
    public_and_restricted,
    reads_as,
    remove_account,
    remove_group,
)

pytestmark = pytest.mark.e2e


def cli_with_umask_000(args: list[str], env: dict[str, str]):
    previous = os.umask(0)  # inherited by the subprocess
    try:
        return run_cli(args, env)
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def accounts():
    """(group, outsider, member) when root can create them, else (own group id, None, None)."""
    if not can_make_accounts():
        yield str(os.getgid()), None, None
        return
    group = make_group()
    outsider, member = make_account(), make_account([group])
    yield group, outsider, member
    for account in (outsider, member):
        remove_account(account)
    remove_group(group)


@pytest.fixture(scope="module")
def parent():
    """A folder other accounts may pass through (pytest's own temporary folders are 0700)."""
    folder = Path(f"/tmp/ipskpi-audiences-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    os.chmod(folder, 0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def check_reads(layout: WarehouseLayout, outsider: str | None, member: str | None) -> None:
    if outsider is None:
        return
    public, restricted = public_and_restricted(layout)
    entry_points = [layout.public_db, layout.public_exports, layout.restricted_db, layout.raw_db]
    results = reads_as(outsider, public + restricted + entry_points)
    readable = {p for p, r in results.items() if r == "read"}
    assert readable == set(public) | {layout.public_db, layout.public_exports}, sorted(
        str(p) for p in readable ^ (set(public) | {layout.public_db, layout.public_exports})
    )[:10]
    if member is not None:
        results = reads_as(member, public + restricted + entry_points)
        assert {p for p, r in results.items() if r != "read"} == set()


def test_refresh_and_rollback_keep_each_audience_to_its_files_whatever_the_umask(
    parent, accounts, prefect_server
):
    group, outsider, member = accounts
    layout = WarehouseLayout(parent / "warehouse")
    refresh = ["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(layout.root)]

    first = cli_with_umask_000(refresh, prefect_server)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "readable by the owner only (files 0600, folders 0700)" in first.stdout
    assert assert_modes(layout) > 100  # raw.duckdb, runs/, gx/ data docs, state/, both trees
    check_reads(layout, outsider, None)
    # The public tree alone answers a dashboard query; the restricted one has exact counts.
    con = duckdb.connect(str(layout.public_db), read_only=True)
    assert con.execute("select count(*) from fct_kpi_scorecard_public").fetchone()[0] > 0
    con.close()

    # A second night, and a rollback, with a restricted group: its members may read.
    env = dict(prefect_server, IPSKPI_RESTRICTED_GROUP=group)
    second = cli_with_umask_000(refresh, env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    gid = int(group) if group.isdigit() else __import__("grp").getgrnam(group).gr_gid
    assert_modes(layout, gid)
    check_reads(layout, outsider, member)
    published_second = current_release(layout)

    rolled = cli_with_umask_000(["rollback", "--warehouse", str(layout.root)], env)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert "Restored generation" in rolled.stdout
    assert current_release(layout) != published_second and not published_second.exists()
    assert generations(layout) == []
    assert_modes(layout, gid)
    check_reads(layout, outsider, member)


def test_an_unknown_restricted_group_refuses_the_refresh_before_it_starts(parent, prefect_server):
    layout = WarehouseLayout(parent / "refused")
    env = dict(prefect_server, IPSKPI_RESTRICTED_GROUP=f"no-such-group-{uuid.uuid4().hex[:6]}")
    result = run_cli(["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(layout.root)], env)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "IPSKPI_RESTRICTED_GROUP" in result.stderr and "no such group" in result.stderr
    assert not layout.raw_db.exists()
