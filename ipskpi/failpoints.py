"""Named crash points, so tests can kill a real refresh at an exact moment.

Set ``IPSKPI_CRASH_AT=<name>`` and the process sends itself SIGKILL when it reaches
that point - no cleanup handlers run, exactly like a power cut or an OOM kill. The
names: ``during_ingest`` (inside a return's open transaction), ``during_dbt`` (while
dbt is building), ``during_audit`` (mid-audit), ``before_swap`` (new published file
written, not yet swapped in). Unset in normal runs, where each call is one dict lookup.
"""

from __future__ import annotations

import os
import signal


def failpoint(name: str) -> None:
    """Die here, hard, if the environment asks for a crash at ``name``."""
    if os.environ.get("IPSKPI_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
