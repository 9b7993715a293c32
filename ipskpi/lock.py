"""One refresh at a time per warehouse: an advisory lock on ``refresh.lock``.

The operating system releases the lock when the process dies, so a killed run
never leaves a stale lock behind; the file's text says who holds it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


class RefreshLocked(RuntimeError):
    """Another refresh is running against the same warehouse."""


@contextmanager
def refresh_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held for the life of the context
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RefreshLocked(
                f"another refresh is already running on this warehouse ({holder}); "
                f"this one did nothing. Wait for it to finish, then run again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now().isoformat(timespec='seconds')}")
        handle.flush()
        yield
    finally:
        handle.close()
