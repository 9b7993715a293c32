"""Quoting for the few SQL statements that cannot take a bind parameter.

DuckDB binds values with ``?`` almost everywhere (``copy ... to ?``, ``read_parquet(?)``),
but not in ``attach`` and never for an identifier. There a path or a name is written as
a quoted SQL literal or identifier by these two functions, and nowhere else by hand.
"""

from __future__ import annotations

import os


def literal(value: str | os.PathLike[str]) -> str:
    """``value`` as a SQL string literal: single quotes around it, each ``'`` doubled.

    Refuses a NUL character, which no path or name may hold and which would end the
    statement early in a C string.
    """
    text = os.fspath(value)
    if "\x00" in text:
        raise ValueError("a NUL character cannot be written in a SQL literal")
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """``name`` as a SQL identifier: double quotes around it, each ``"`` doubled."""
    if "\x00" in name:
        raise ValueError("a NUL character cannot be written in a SQL identifier")
    return '"' + name.replace('"', '""') + '"'
