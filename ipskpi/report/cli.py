"""The ``ipskpi report`` sub-command: build the static reports from a published database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _report(args: argparse.Namespace) -> int:
    from ipskpi.report import build_reports

    published = Path(args.published)
    if not published.exists():
        print(f"No published database at {published}", file=sys.stderr)
        return 2
    paths = build_reports(published, Path(args.out))
    print(f"Wrote {len(paths)} report pages to {Path(args.out).resolve()}")
    for path in paths:
        print(f"  {path}")
    return 0


def add_report_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``ipskpi report --published <db> --out <dir>`` on the CLI's sub-parsers."""
    from ipskpi.config import DEFAULT_WAREHOUSE

    parser = subparsers.add_parser(
        "report",
        help="build the static HTML reports (England, each provider, index) from the public marts",
    )
    parser.add_argument(
        "--published",
        type=Path,
        default=DEFAULT_WAREHOUSE / "public" / "public.duckdb",
        help="published database (default: the warehouse's public/public.duckdb)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help="folder for the HTML files (default: ./reports; the refresh writes <warehouse>/public/reports)",
    )
    parser.set_defaults(func=_report)
    return parser
