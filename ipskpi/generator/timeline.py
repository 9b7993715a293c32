"""Calendar arithmetic on whole days and months, vectorised with numpy.

Dates are ``int32`` day numbers since 1970-01-01 (numpy's ``datetime64[D]``
epoch) and months are ``int32`` month numbers since 1970-01. ``NEVER`` is a day
far in the future that stands for "has not happened" (no closure, no end date,
never engaged): a value is shown in a monthly return only when it is on or
before that month's last day, so ``NEVER`` is never shown and needs no special
case.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

NEVER = np.int32(2**30)
AS_OF = dt.date(2026, 3, 31)

IntArray = npt.NDArray[np.int64] | npt.NDArray[np.int32]


def day(value: str | dt.date) -> int:
    """Day number of an ISO date string or a date."""
    return int(np.datetime64(str(value), "D").astype(np.int64))


def month(value: str) -> int:
    """Month number of a ``YYYY-MM`` label."""
    return int(np.datetime64(value, "M").astype(np.int64))


def month_label(month_number: int) -> str:
    """``YYYY-MM`` label of a month number."""
    return str(np.datetime64(int(month_number), "M"))


def iso(day_number: int) -> str:
    """ISO text of a day number."""
    return str(np.datetime64(int(day_number), "D"))


def to_date(day_number: int) -> dt.date:
    """A ``datetime.date`` for a day number."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))


def month_of(days: IntArray) -> npt.NDArray[np.int32]:
    """Month number of each day (days at or after ``NEVER`` map to a huge month)."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return np.where(days >= NEVER, NEVER, out).astype(np.int32)


def month_start(months: IntArray | int) -> npt.NDArray[np.int32]:
    """First day of each month number."""
    m = np.asarray(months, dtype=np.int64)
    return m.astype("datetime64[M]").astype("datetime64[D]").astype(np.int32)


def month_end(months: IntArray | int) -> npt.NDArray[np.int32]:
    """Last day of each month number."""
    return (month_start(np.asarray(months, dtype=np.int64) + 1) - 1).astype(np.int32)


def financial_year_of_month(months: IntArray | int) -> npt.NDArray[np.int32]:
    """Financial year (the calendar year its April falls in) of each month number."""
    m = np.asarray(months, dtype=np.int64)
    year = 1970 + m // 12
    month_of_year = m % 12 + 1
    return np.where(month_of_year >= 4, year, year - 1).astype(np.int32)


def year_of(days: IntArray) -> npt.NDArray[np.int32]:
    """Calendar year of each day."""
    d = np.asarray(days, dtype=np.int64)
    return (d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32)
