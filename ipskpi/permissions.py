"""Who may open which file of a warehouse: file modes by audience, whatever the caller's umask.

Three audiences (README, "Who may read what"):

- **public**: the public tree (``generations/<run>/public/``, reached as ``public/``):
  files 0644, folders 0755. Anyone may read it; it holds nothing restricted.
- **restricted**: everything else: ``raw.duckdb`` (row-level), ``build/``, ``blocked/``,
  ``state/``, ``runs/`` (rejected-row values), ``gx/`` (Data Docs show sample unexpected
  values), ``refresh.lock`` and the restricted tree (exact counts): files 0600, folders
  0700, so only the owner reads them. With ``IPSKPI_RESTRICTED_GROUP`` set (a group name
  or number), that group may read them too: files 0640, folders 2750 (set-group-ID, so
  new files inherit the group), all given to the group. The group never gets write.
- **pass-through**: the folders on the way to the public tree (the warehouse folder,
  ``generations/`` and each ``generations/<run>/``): 0711 (0751 with the group). Others
  may pass through them to ``public/`` but not list them.

The refresh and the rollback run under ``restricted_umask()`` (077, or 027 with the
group), so every file is born unreadable by others, even for a moment; ``secure_*`` then
set the exact modes (``chmod`` ignores the umask), including for files that a library
copied with its own modes (GX's Data Docs assets) and for files left by older versions.
Symbolic links are never followed: a link is left as it is and its target is secured
where it lives, if it lives in the warehouse.
"""

from __future__ import annotations

import grp
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GROUP_VARIABLE = "IPSKPI_RESTRICTED_GROUP"
PUBLIC, RESTRICTED, PASS_THROUGH = "public", "restricted", "pass-through"
MODES_FILE = "modes.json"  # in state/: the group the modes were last applied for


class PermissionSetupError(RuntimeError):
    """The restricted group cannot be used (unknown, or this account may not give files to it)."""


@dataclass(frozen=True)
class Modes:
    """The modes of each audience, for one setting of the restricted group."""

    gid: int | None

    @property
    def umask(self) -> int:
        return 0o027 if self.gid is not None else 0o077

    def file(self, audience: str) -> int:
        if audience == PUBLIC:
            return 0o644
        return 0o640 if self.gid is not None else 0o600

    def folder(self, audience: str) -> int:
        if audience == PUBLIC:
            return 0o755
        if audience == PASS_THROUGH:
            return 0o751 if self.gid is not None else 0o711
        return 0o2750 if self.gid is not None else 0o700

    def describe(self) -> str:
        group = f"owner and group {_group_name(self.gid)}" if self.gid is not None else "owner only"
        return (
            f"public/ readable by everyone (files 0644, folders 0755); restricted/ and every "
            f"row-level file readable by the {group} (files {self.file(RESTRICTED):04o}, "
            f"folders {self.folder(RESTRICTED):04o})"
        )


def _group_name(gid: int | None) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except (KeyError, TypeError):
        return str(gid)


def restricted_group() -> int | None:
    """The group id named by ``IPSKPI_RESTRICTED_GROUP`` (a name or a number), or None when unset."""
    value = os.environ.get(GROUP_VARIABLE, "").strip()
    if not value:
        return None
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        pass
    if value.isdigit():
        return int(value)
    raise PermissionSetupError(f"{GROUP_VARIABLE}={value!r}: there is no such group on this machine")


def modes() -> Modes:
    return Modes(restricted_group())


@contextmanager
def restricted_umask(current: Modes | None = None) -> Iterator[Modes]:
    """Create every file restricted while the block runs (the umask is restored after)."""
    current = current or modes()
    previous = os.umask(current.umask)
    try:
        yield current
    finally:
        os.umask(previous)


def secure(path: Path, audience: str, current: Modes) -> None:
    """Give one file or folder the mode (and, if restricted, the group) of its audience."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        return  # never follow a link; chmod of a link would change its target
    is_dir = stat.S_ISDIR(info.st_mode)
    if audience != PUBLIC and current.gid is not None and info.st_gid != current.gid:
        try:
            os.chown(path, -1, current.gid, follow_symlinks=False)
        except PermissionError as exc:
            raise PermissionSetupError(
                f"{GROUP_VARIABLE}: cannot give {path} to group {_group_name(current.gid)} "
                f"(is this account a member?): {exc}"
            ) from exc
    wanted = current.folder(audience) if is_dir else current.file(audience)
    if stat.S_IMODE(info.st_mode) != wanted:
        os.chmod(path, wanted)


def secure_tree(root: Path, audience: str, current: Modes) -> None:
    """``secure`` a folder and everything in it (links are not followed)."""
    secure(root, audience, current)
    if not root.is_dir() or root.is_symlink():
        return
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            secure(Path(folder) / name, audience, current)


def secure_release(release: Path, current: Modes) -> None:
    """One published generation: ``public/`` public, everything else in it restricted."""
    secure(release, PASS_THROUGH, current)
    for entry in release.iterdir():
        secure_tree(entry, PUBLIC if entry.name == PUBLIC else RESTRICTED, current)


def secure_warehouse(layout, run_id: str | None = None, current: Modes | None = None) -> Modes:
    """Set the mode of everything in a warehouse by its audience; returns the modes used.

    Walked in full: every top-level entry (``raw.duckdb``, ``state/``, ``build/``,
    ``blocked/``, ``gx/``, files of older layouts) and every generation. ``runs/`` is made
    restricted itself (so nothing under it can be reached by others) and, of its run
    folders, only ``runs/<run_id>/`` is walked: older ones were secured by their own run,
    unless the group changed since (``state/modes.json``) or was never recorded (a
    warehouse of an older version), when every run folder is walked once.
    """
    current = current or modes()
    root = Path(layout.root)
    secure(root, PASS_THROUGH, current)
    for entry in root.iterdir():
        if entry.is_symlink():
            continue  # public, restricted, current (and an older layout's exports link)
        if entry == layout.generations_dir:
            secure(entry, PASS_THROUGH, current)
            for release in entry.iterdir():
                if release.is_dir() and not release.is_symlink():
                    secure_release(release, current)
                else:
                    secure(release, RESTRICTED, current)  # an older layout's published-*.duckdb
        elif entry == layout.runs_dir:
            if _applied_gid(layout) != current.gid:  # first run, or the group changed: every run
                secure_tree(entry, RESTRICTED, current)
            else:
                secure(entry, RESTRICTED, current)
                if run_id is not None:
                    secure_tree(layout.run_dir(run_id), RESTRICTED, current)
        else:
            secure_tree(entry, RESTRICTED, current)
    _record_gid(layout, current)
    return current


def _applied_gid(layout) -> int | None | str:
    try:
        return json.loads((Path(layout.state_dir) / MODES_FILE).read_text())["gid"]
    except (OSError, ValueError, KeyError):
        return "never"


def _record_gid(layout, current: Modes) -> None:
    state = Path(layout.state_dir)
    if _applied_gid(layout) == current.gid:
        return
    state.mkdir(parents=True, exist_ok=True)
    secure(state, RESTRICTED, current)
    target = state / MODES_FILE
    tmp = state / f"{MODES_FILE}.tmp"
    tmp.write_text(json.dumps({"gid": current.gid}) + "\n")
    secure(tmp, RESTRICTED, current)
    os.replace(tmp, target)
