"""Walk the landing folder: every file and folder under it is accounted for, nothing escapes it.

Steps (one walk per refresh, before anything is read):
1. The landing itself: it must exist and hold something the refresh reads. A landing whose
   top level holds provider returns (``--landing`` pointed at ``provider_returns/``) or
   nothing the refresh reads raises LandingError, naming the folder and what was found.
2. Every entry is looked at without following links (``lstat``): a symbolic link is refused,
   naming the link and its target, and its target is never opened, whether it points out of
   the landing or inside it (a link inside is not followed either: a delivery is the file
   itself, so the ledger never counts one file twice). Anything that is neither a regular
   file nor a folder (a FIFO, a socket, a device) is refused too.
3. Each entry gets a ledger state. Deliveries go on to the loaders (``loaded``, ``refused``
   with the rule, or ``skipped`` when unchanged); entries that are not deliveries are
   ``not_recognised`` (saying which name would be read: ``RV3_2021-06_v2.xlsx`` ->
   ``RV3_2021-06.xlsx``) or ``ignored`` (hidden files, Office lock files, partial downloads,
   the generator's ``MANIFEST.json``). A provider return for a provider code that is not in
   ``seeds/ref_providers.csv``, or for a month after the run date, is refused (held back:
   it is looked at again every night, and a future month loads once its month has come).
"""

from __future__ import annotations

import csv
import os
import re
import stat
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ipskpi.config import PROJECT_DIR
from ipskpi.contract import PROVIDER_TABLES

PROVIDER_RETURNS = "provider_returns"
RETURN_NAME = re.compile(r"^(?P<provider>[A-Za-z0-9]+)_(?P<month>\d{4}-\d{2})$")
# A name that means a provider and a month, however it is written: RV3 2021-06, RV3_2021_06, RV3-202106.
_LOOSE_NAME = re.compile(r"^(?P<provider>[A-Za-z0-9]+)[ _.-]+(?P<year>\d{4})[ _.-]?(?P<month>\d{2})(?!\d)")
TABLE_FILES = tuple(f"{t.name}.csv" for t in PROVIDER_TABLES)
RETURN_SHAPES = "a folder <PROVIDER>_<YYYY-MM>/ of CSVs or a workbook <PROVIDER>_<YYYY-MM>.xlsx"
MANIFEST = "MANIFEST.json"


class LandingError(Exception):
    """The landing folder cannot be read as a landing at all; nothing was loaded from it."""


@dataclass(frozen=True)
class Entry:
    """An entry of the landing that is not a delivery, or a delivery refused before it was read."""

    source: str
    name: str  # the entry's name (the return id for a provider return)
    rel_path: str
    status: str  # refused | not_recognised | ignored
    message: str
    kind: str = "file"  # file | folder | link | other
    provider_code: str | None = None
    return_month: str | None = None


@dataclass
class Walk:
    """What the walk of one folder found."""

    deliveries: list[Path] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    warnings: dict[Path, list[str]] = field(default_factory=dict)  # delivery -> notes about its contents


def known_provider_codes(seeds_dir: Path | None = None) -> frozenset[str]:
    """The provider codes of ``ref_providers.csv``: a return from any other code is refused."""
    path = (seeds_dir or PROJECT_DIR / "seeds") / "ref_providers.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return frozenset(row["provider_code"].strip() for row in csv.DictReader(handle))


def rel(path: Path, root: Path) -> str:
    """``path`` relative to the landing root, without resolving links (the walk never follows them)."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def link_problem(path: Path, root: Path) -> str | None:
    """Why ``path`` is not read: a symbolic link or not a regular file or folder; None if it is fine.

    Only ``lstat`` and ``readlink`` are used: the target of a link is never opened.
    """
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"{rel(path, root)} could not be examined: {exc.strerror}"
    if stat.S_ISLNK(mode):
        target = os.readlink(path)
        real = Path(os.path.realpath(path))
        if real == root or root in real.parents:
            return (
                f"{rel(path, root)} is a symbolic link to {target} (inside the landing); links are not "
                "followed: put the file or folder itself in the landing"
            )
        return (
            f"{rel(path, root)} is a symbolic link to {target}, outside the landing; it was not opened "
            "(nothing outside the landing is read)"
        )
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return f"{rel(path, root)} is not a regular file or folder (a pipe, socket or device); not opened"
    return None


def _ignorable(name: str) -> str | None:
    if name.startswith("."):
        return "hidden file, not a delivery"
    if name.startswith("~$"):
        return "an Office lock file (the document is open somewhere), not a delivery"
    if name.endswith((".part", ".crdownload", ".tmp")):
        return "a partial download, not a delivery yet; it is read once complete"
    return None


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.iterdir(), key=lambda p: p.name)


def _is_dir(path: Path) -> bool:
    return stat.S_ISDIR(path.lstat().st_mode)


def check_landing(landing: Path) -> tuple[Path, list[Entry]]:
    """The landing's resolved root and the entries of its top level that are not source folders.

    Raises LandingError for a landing that does not exist, holds provider returns at its top
    level, or holds nothing the refresh reads.
    """
    from ipskpi.ingest.public import SOURCES

    sources = (PROVIDER_RETURNS, *SOURCES)
    if not landing.exists():
        raise LandingError(f"the landing folder {landing} does not exist")
    root = landing.resolve()
    if not root.is_dir():
        raise LandingError(f"the landing {landing} is not a folder")
    children = _entries(root)
    names = [p.name for p in children]
    returns_at_top = [n for n in names if RETURN_NAME.match(n.removesuffix(".xlsx"))]
    if returns_at_top and PROVIDER_RETURNS not in names:
        shown = ", ".join(returns_at_top[:3]) + (", ..." if len(returns_at_top) > 3 else "")
        raise LandingError(
            f"the landing folder {root} holds {len(returns_at_top)} provider return(s) at its top level "
            f"({shown}) and no {PROVIDER_RETURNS}/ folder: --landing must name the folder that contains "
            f"{PROVIDER_RETURNS}/ (and the public-source folders), here probably {root.parent}"
        )
    present = [n for n in names if n in sources]
    if not any(_has_entries(root / n) for n in present):
        found = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        links = [n for n in present if (root / n).is_symlink()]
        linked = f"; {', '.join(links)}: symbolic link(s), not followed" if links else ""
        raise LandingError(
            f"the landing folder {root} holds nothing the refresh reads "
            f"(found: {found or 'nothing, it is empty'}{linked}); expected {PROVIDER_RETURNS}/ with returns "
            f"({RETURN_SHAPES}) and the public-source folders {', '.join(s + '/' for s in SOURCES)}"
        )
    entries: list[Entry] = []
    for path in children:
        name = path.name
        problem = link_problem(path, root)
        if problem:
            entries.append(Entry("landing", name, name, "refused", problem, "link"))
            continue
        if name in sources and _is_dir(path):
            continue
        kind = "folder" if _is_dir(path) else "file"
        if name == MANIFEST and kind == "file":
            entries.append(
                Entry("landing", name, name, "ignored", "the generator's manifest, not data", kind)
            )
        elif _ignorable(name):
            entries.append(Entry("landing", name, name, "ignored", _ignorable(name) or "", kind))
        elif name in returns_at_top:
            entries.append(
                Entry(
                    "landing",
                    name,
                    name,
                    "not_recognised",
                    f"a provider return belongs in {PROVIDER_RETURNS}/; move it to {PROVIDER_RETURNS}/{name}",
                    kind,
                )
            )
        else:
            near = _near_folder(name, sources) if kind == "folder" else None
            hint = f"; to be read it must be named {near}/" if near else ""
            entries.append(
                Entry(
                    "landing",
                    name,
                    name,
                    "not_recognised",
                    f"not a source folder{hint} (the landing holds {', '.join(s + '/' for s in sources)})",
                    kind,
                )
            )
    return root, entries


def _has_entries(folder: Path) -> bool:
    try:
        return folder.is_dir() and not folder.is_symlink() and any(folder.iterdir())
    except OSError:
        return False


def _near_folder(name: str, sources: tuple[str, ...]) -> str | None:
    key = re.sub(r"[ .-]+", "_", name.strip().lower())
    return next((s for s in sources if key in (s, s.rstrip("s"), s + "s")), None)


def walk_provider_returns(
    folder: Path,
    root: Path,
    known_providers: frozenset[str] | None = None,
    run_date: date | None = None,
) -> Walk:
    """Every entry of ``provider_returns/``: the returns to read, and what else is there.

    ``known_providers`` None skips the provider-code check (a caller loading test data).
    """
    walk = Walk()
    if not folder.is_dir() or folder.is_symlink():
        return walk
    today = run_date or date.today()
    for path in _entries(folder):
        name = path.name
        rel_path = rel(path, root)
        problem = link_problem(path, root)
        is_dir = problem is None and _is_dir(path)
        xlsx = not is_dir and path.suffix.lower() == ".xlsx"
        stem = name[:-5] if xlsx else name
        match = RETURN_NAME.match(stem) if (is_dir or xlsx) else None
        provider = match["provider"] if match else None
        month = match["month"] if match else None
        if problem:
            entries_kind = "link"
            walk.entries.append(
                Entry(PROVIDER_RETURNS, stem, rel_path, "refused", problem, entries_kind, provider, month)
            )
            continue
        kind = "folder" if is_dir else "file"
        if _ignorable(name):
            walk.entries.append(
                Entry(PROVIDER_RETURNS, name, rel_path, "ignored", _ignorable(name) or "", kind)
            )
            continue
        if match is None or not 1 <= int(month[5:]) <= 12:  # type: ignore[index]
            walk.entries.append(
                Entry(PROVIDER_RETURNS, name, rel_path, "not_recognised", _near_return(path, is_dir), kind)
            )
            continue
        refusal = None
        if known_providers is not None and provider not in known_providers:
            hint = (
                f" (to be read it must be named {provider.upper()}_{month}{'.xlsx' if xlsx else '/'})"  # type: ignore[union-attr]
                if provider.upper() in known_providers  # type: ignore[union-attr]
                else ""
            )
            refusal = (
                f"provider code {provider} is not in ref_providers (seeds/ref_providers.csv), so "
                f"{stem} was not loaded{hint}; a new provider is added there first, a misspelt code is "
                "corrected in the name"
            )
        elif month > f"{today:%Y-%m}":  # type: ignore[operator]
            refusal = (
                f"held back: return month {month} is after the run date ({today:%Y-%m-%d}); it is "
                "looked at again every night and loads once its month has come"
            )
        if refusal:
            walk.entries.append(
                Entry(PROVIDER_RETURNS, stem, rel_path, "refused", refusal, kind, provider, month)
            )
            continue
        if is_dir:
            contents = _return_folder_problems(path, root)
            if isinstance(contents, Entry):
                walk.entries.append(contents)
                continue
            if contents:
                walk.warnings[path] = contents
        walk.deliveries.append(path)
    return walk


def _return_folder_problems(folder: Path, root: Path) -> Entry | list[str]:
    """A return folder's contents: a refusal (a link or odd file inside), or notes on what is not read."""
    notes: list[str] = []
    stem = folder.name
    match = RETURN_NAME.match(stem)
    provider, month = (match["provider"], match["month"]) if match else (None, None)
    for path in _entries(folder):
        problem = link_problem(path, root)
        if problem:
            return Entry(
                PROVIDER_RETURNS,
                stem,
                rel(folder, root),
                "refused",
                f"{problem}; the whole return was refused",
                "folder",
                provider,
                month,
            )
        if _is_dir(path):
            notes.append(f"{path.name}/: folders inside a return are not read; ignored")
        elif (
            path.name not in TABLE_FILES
            and path.name.lower() not in TABLE_FILES
            and not _ignorable(path.name)
        ):
            near = next(
                (t for t in TABLE_FILES if t.removesuffix(".csv") in path.name.lower()),
                None,
            )
            hint = f" (to be read it must be named {near})" if near else ""
            notes.append(
                f"{path.name}: not a contract table{hint}; ignored "
                f"(a return folder holds {', '.join(TABLE_FILES)})"
            )
    return notes


def _near_return(path: Path, is_dir: bool) -> str:
    """What a provider-return entry that does not match the naming rule would have to be called."""
    name = path.name
    suffix = "" if is_dir else path.suffix.lower()
    stem = name if is_dir else name[: len(name) - len(path.suffix)]
    loose = _LOOSE_NAME.match(stem)
    wanted = None
    if loose and 1 <= int(loose["month"]) <= 12:
        wanted = f"{loose['provider']}_{loose['year']}-{loose['month']}"
    expected = f"a provider return is {RETURN_SHAPES}"
    if not is_dir and suffix in (".xlsm", ".xls", ".xlsb", ".ods"):
        target = f"{wanted}.xlsx" if wanted else "<PROVIDER>_<YYYY-MM>.xlsx"
        return f"a {suffix} workbook is not read: save it as an .xlsx workbook named {target}"
    if not is_dir and suffix == ".csv":
        target = f"{wanted}/" if wanted else "<PROVIDER>_<YYYY-MM>/"
        return f"a CSV return is a folder {target} holding {', '.join(TABLE_FILES)}"
    if not is_dir and suffix == ".zip":
        target = f"{wanted}/" if wanted else "<PROVIDER>_<YYYY-MM>/"
        return f"a zipped return is not read: unzip it into a folder {target}"
    if wanted and not is_dir and suffix != ".xlsx":
        return f"not a workbook (.xlsx) or folder: {expected}"
    if wanted:
        target = f"{wanted}/" if is_dir else f"{wanted}.xlsx"
        extra = ""
        if loose and stem[loose.end() :]:
            extra = (
                f" ('{stem[loose.end() :]}' after the month is not part of a return name: "
                "a re-sent return keeps the same name and replaces the earlier copy)"
            )
        return f"to be read it must be named {target}{extra}"
    return f"not a provider return: {expected}"


def walk_public_folder(folder: Path, root: Path, source: str) -> Walk:
    """Every entry of one public-source folder: the files to read (zips included) and the rest."""
    walk = Walk()
    if not folder.is_dir() or folder.is_symlink():
        return walk
    for path in _entries(folder):
        name = path.name
        rel_path = rel(path, root)
        problem = link_problem(path, root)
        if problem:
            walk.entries.append(Entry(source, name, rel_path, "refused", problem, "link"))
        elif _is_dir(path):
            walk.entries.append(
                Entry(
                    source,
                    name,
                    rel_path,
                    "not_recognised",
                    f"folders inside {source}/ are not read; put its files directly in {source}/",
                    "folder",
                )
            )
        elif _ignorable(name):
            walk.entries.append(Entry(source, name, rel_path, "ignored", _ignorable(name) or ""))
        else:
            walk.deliveries.append(path)
    return walk


def record_entries(con: duckdb.DuckDBPyConnection, entries: list[Entry], run_id: str) -> list:
    """Write one ledger row per entry (and a rejected-rows line per refusal); their LoadResults."""
    from ipskpi.ingest.ledger import ensure_ledger
    from ipskpi.ingest.provider_returns import LoadResult

    ensure_ledger(con)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    results = []
    if not entries:
        return results
    con.execute("begin transaction")
    try:
        for entry in entries:
            load_id = uuid.uuid4().hex
            file_format = (
                entry.kind if entry.kind != "file" else (Path(entry.name).suffix.lstrip(".") or "file")
            )
            con.execute(
                "insert into ingest.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, '', ?, 0, 0, ?, ?, null)",
                [
                    load_id,
                    run_id,
                    entry.source,
                    entry.name,
                    entry.provider_code,
                    entry.return_month,
                    entry.rel_path,
                    file_format.lower(),
                    entry.status,
                    entry.message,
                    loaded_at,
                ],
            )
            if entry.status == "refused":
                con.execute(
                    """insert into ingest.rejected_rows values (?, ?, ?, ?, '*', null, null, null,
                       'return_refused', ?, ?)""",
                    [load_id, run_id, entry.source, entry.rel_path, entry.message, loaded_at],
                )
            results.append(
                LoadResult(
                    entry.name, entry.rel_path, entry.status, message=entry.message, source=entry.source
                )
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return results
