"""Checks shared by the tests of who may read what: file modes by audience, and reads
attempted by other Unix accounts (created only when the tests run as root)."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

from ipskpi.config import WarehouseLayout


def walk(root: Path) -> Iterator[Path]:
    """Every file and folder under ``root`` (links themselves skipped, never followed)."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            if not path.is_symlink():
                yield path


def audience_of(layout: WarehouseLayout, path: Path) -> str:
    relative = path.relative_to(layout.root).parts
    if relative[0] == "generations" and len(relative) >= 3 and relative[2] == "public":
        return "public"
    if relative[0] == "generations" and len(relative) <= 2 and path.is_dir():
        return "pass-through"
    return "restricted"


def expected_modes(group: bool) -> dict[tuple[str, bool], int]:
    return {
        ("public", False): 0o644,
        ("public", True): 0o755,
        ("pass-through", True): 0o751 if group else 0o711,
        ("restricted", False): 0o640 if group else 0o600,
        ("restricted", True): 0o2750 if group else 0o700,
    }


def assert_modes(layout: WarehouseLayout, gid: int | None = None) -> int:
    """Public files 0644 in 0755 folders, pass-through 0711, everything else owner-only
    (0640/2750 and owned by ``gid`` when a restricted group is set). Returns how many checked."""
    expected = expected_modes(gid is not None)
    assert stat.S_IMODE(layout.root.stat().st_mode) == expected[("pass-through", True)]
    checked = 0
    for path in walk(layout.root):
        info = path.lstat()
        audience = audience_of(layout, path)
        want = expected[(audience, path.is_dir())]
        mode = stat.S_IMODE(info.st_mode)
        assert mode == want, f"{path.relative_to(layout.root)}: {mode:04o}, expected {want:04o}"
        if gid is not None and audience == "restricted":
            assert info.st_gid == gid, f"{path.relative_to(layout.root)}: group {info.st_gid}, expected {gid}"
        checked += 1
    return checked


def can_make_accounts() -> bool:
    return os.geteuid() == 0 and shutil.which("useradd") is not None and system_python() is not None


def system_python() -> str | None:
    """A Python another account can run (the venv's may live under /root)."""
    return shutil.which("python3", path="/usr/bin:/bin")


def make_account(groups: list[str] | None = None) -> str:
    name = f"ipskpi-t{uuid.uuid4().hex[:8]}"
    command = ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    if groups:
        command += ["--groups", ",".join(groups)]
    subprocess.run(command, check=True, capture_output=True)
    return name


def make_group() -> str:
    name = f"ipskpi-g{uuid.uuid4().hex[:8]}"
    subprocess.run(["groupadd", name], check=True, capture_output=True)
    return name


def remove_account(name: str) -> None:
    subprocess.run(["userdel", name], check=False, capture_output=True)


def remove_group(name: str) -> None:
    subprocess.run(["groupdel", name], check=False, capture_output=True)


READS = """
import json, os, sys
results = {}
for path in json.loads(sys.stdin.read()):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as handle:
                handle.read(16)
        results[path] = "read"
    except OSError as exc:
        results[path] = type(exc).__name__
print(json.dumps(results))
"""


def reads_as(account: str, paths: list[Path]) -> dict[Path, str]:
    """Try to read each path as another account: ``read`` or the error's name."""
    entry = pwd.getpwnam(account)
    groups = [g.gr_gid for g in grp.getgrall() if account in g.gr_mem]
    done = subprocess.run(
        [system_python(), "-c", READS],
        input=json.dumps([str(p) for p in paths]),
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=groups,
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {Path(p): r for p, r in json.loads(done.stdout).items()}


def public_and_restricted(layout: WarehouseLayout) -> tuple[list[Path], list[Path]]:
    """Every file of a warehouse, split by audience."""
    public, restricted = [], []
    for path in walk(layout.root):
        if path.is_file():
            (public if audience_of(layout, path) == "public" else restricted).append(path)
    return public, restricted
