"""Zipped downloads (NHS Digital's MHSDS monthly CSVs come as ``.zip``), read member by member.

Every member is extracted into a fresh temporary folder (never next to the zip, never by
the member's own path) and read from there as if it had been delivered on its own; the
folder is removed afterwards. A member is refused, not extracted, when its name is absolute
or climbs out (``..``), when it is a link or is encrypted, or when it is larger than
IPSKPI_ZIP_MAX_MEMBER_BYTES (default 2 GiB, checked on the bytes actually written, not the
size the archive declares); the whole zip is refused when its members add up to more than
IPSKPI_ZIP_MAX_TOTAL_BYTES (default 8 GiB) or it holds more than ZIP_MAX_MEMBERS members.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ZIP_MAX_MEMBERS = 1000
_CHUNK = 1 << 20


def max_member_bytes() -> int:
    return int(os.environ.get("IPSKPI_ZIP_MAX_MEMBER_BYTES", 2 << 30))


def max_total_bytes() -> int:
    return int(os.environ.get("IPSKPI_ZIP_MAX_TOTAL_BYTES", 8 << 30))


@dataclass
class Member:
    """One member of a zip: extracted to ``path``, or refused with ``error``."""

    name: str
    path: Path | None = None
    error: str = ""


@dataclass
class Archive:
    members: list[Member] = field(default_factory=list)
    error: str = ""  # the zip as a whole is refused


def _member_problem(info: zipfile.ZipInfo, label: str) -> str | None:
    name = info.filename
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return f"{label}: the member's path is absolute; not extracted"
    if ".." in pure.parts:
        return f"{label}: the member's path climbs out of the archive (..); not extracted"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"{label}: the member is a symbolic link; not extracted"
    if info.flag_bits & 0x1:
        return f"{label}: the member is encrypted (password-protected); not extracted"
    if info.file_size > max_member_bytes():
        return (
            f"{label}: the member is {info.file_size:,} bytes uncompressed, more than the limit of "
            f"{max_member_bytes():,} (IPSKPI_ZIP_MAX_MEMBER_BYTES); not extracted"
        )
    return None


@contextmanager
def archive_members(path: Path) -> Iterator[Archive]:
    """Extract the members of ``path`` one by one into a temporary folder, removed on exit."""
    archive = Archive()
    work = Path(tempfile.mkdtemp(prefix="ipskpi-zip-"))
    try:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            archive.error = f"{path.name} could not be opened as a zip archive: {exc}"
            yield archive
            return
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if not infos:
                archive.error = f"{path.name} is an empty zip archive (no files in it)"
            elif len(infos) > ZIP_MAX_MEMBERS:
                archive.error = f"{path.name} holds {len(infos):,} files, more than {ZIP_MAX_MEMBERS}"
            elif total > max_total_bytes():
                archive.error = (
                    f"{path.name} would unpack to {total:,} bytes, more than the limit of "
                    f"{max_total_bytes():,} (IPSKPI_ZIP_MAX_TOTAL_BYTES); nothing was extracted"
                )
            if archive.error:
                yield archive
                return
            for n, info in enumerate(infos):
                label = f"{path.name}/{info.filename}"
                member = Member(info.filename)
                member.error = _member_problem(info, label) or ""
                if not member.error:
                    member.path, member.error = _extract(zf, info, work / str(n), label)
                archive.members.append(member)
            yield archive
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, label: str) -> tuple[Path | None, str]:
    """Copy one member to ``folder/<its base name>``, stopping at the size limit whatever it declares."""
    folder.mkdir()
    target = folder / (PurePosixPath(info.filename.replace("\\", "/")).name or "member")
    limit = max_member_bytes()
    written = 0
    try:
        with zf.open(info) as src, target.open("xb") as dst:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise OverflowError
                dst.write(chunk)
    except OverflowError:
        target.unlink(missing_ok=True)
        return None, (
            f"{label}: unpacks to more than the limit of {limit:,} bytes (IPSKPI_ZIP_MAX_MEMBER_BYTES); "
            "not extracted"
        )
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        target.unlink(missing_ok=True)
        return None, f"{label} could not be extracted: {exc}"
    return target, ""
