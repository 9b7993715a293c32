"""Quoting for the few places where DuckDB cannot take a bound parameter.

Values reach SQL as bound parameters (``con.execute(sql, [value])``) wherever DuckDB
accepts one. DuckDB does not accept a parameter for the file of an ``ATTACH``, for an
identifier, or inside a statement built once for many values (the ingest's
set-based validation), so those use the helpers here, and only these:

- ``literal``: a string as an SQL string literal (DuckDB's standard strings: a quote is
  doubled, a backslash is an ordinary character).
- ``ident``: a name as a double-quoted identifier.
- ``file_pattern``: a path as a file-reader argument (``read_csv``, ``read_parquet``)
  that matches exactly that file. DuckDB's readers take their argument as a glob, even
  when it is bound, so ``a[1]/x.csv`` would read ``a1/x.csv``; each glob character is
  put in a bracket class of its own (``[[]``, ``[*]``, ``[?]``).
"""

from __future__ import annotations

import re
from os import PathLike

_GLOB_CHARACTERS = re.compile(r"([\[*?])")


def literal(value: str | PathLike[str]) -> str:
    """``value`` as an SQL string literal: ``it's`` -> ``'it''s'``."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("an SQL string literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier, each ``"`` in it doubled."""
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def file_pattern(path: str | PathLike[str]) -> str:
    """``path`` as a DuckDB file-reader pattern that matches only that file (globs escaped)."""
    return _GLOB_CHARACTERS.sub(r"[\1]", str(path))


def attach(alias: str, path: str | PathLike[str], *options: str) -> str:
    """An ``ATTACH`` statement for ``path`` as ``alias`` (DuckDB takes no parameter here).

    ``options`` are written as given (``read_only``, ``storage_version 'v1.0.0'``): they
    come from the code, never from input.
    """
    statement = f"attach {literal(path)} as {ident(alias)}"
    return statement + (f" ({', '.join(options)})" if options else "")


# --- untrusted text in outputs ----------------------------------------------------------------

SHOWN_LENGTH = 100
"""Characters of an untrusted value kept where it is shown (rejected rows, reasons, reports)."""

CONTROL_CHARACTER_CODES = (*range(0x00, 0x20), 0x7F)
"""C0 control characters and DEL: escaped as ``\\xNN`` wherever an untrusted value is shown."""

SHOWN_MACRO = "ipskpi_shown"


def _escaped_sql(expr: str) -> str:
    for code in CONTROL_CHARACTER_CODES:
        expr = f"replace({expr}, chr({code}), '\\x{code:02x}')"
    return expr


def create_shown_macro(con) -> None:
    """Define ``ipskpi_shown(text, n)`` on ``con``: ``text`` safe to show (SQL twin of ``shown_text``).

    At most ``n`` characters, then ``… (<length> characters)``; every control character
    (tab and line breaks included) written as ``\\xNN``, so a value can neither break a
    line of a report nor hide what it holds.
    """
    con.execute(
        f"""create or replace temp macro {SHOWN_MACRO}(x, n) as
            case when length(x) > n
                 then {_escaped_sql("left(x, n)")} || '… (' || length(x) || ' characters)'
                 else {_escaped_sql("x")} end"""
    )


def shown(expr: str, limit: int = SHOWN_LENGTH) -> str:
    """SQL for ``expr`` (text) made safe to show; needs ``create_shown_macro`` on the connection."""
    return f"{SHOWN_MACRO}(cast({expr} as varchar), {int(limit)})"


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def shown_text(value: object, limit: int = SHOWN_LENGTH) -> str:
    """An untrusted value as text that is safe to show: control characters escaped, long text cut."""
    text = str(value)
    cut = text[:limit]
    escaped = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cut)
    if len(text) > limit:
        escaped += f"… ({len(text)} characters)"
    return escaped
