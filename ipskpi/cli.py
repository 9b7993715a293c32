"""The ``ipskpi`` command: generate sample data, refresh the warehouse, roll back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ipskpi.config import (
    DEFAULT_WAREHOUSE,
    PROJECT_DIR,
    SAMPLE_LANDING,
    UnsafeWarehousePath,
    WarehouseLayout,
    prefect_defaults,
)

EXIT_PUBLISHED = 0
EXIT_BLOCKED = 1
EXIT_BAD_PATH = 2
EXIT_LOCKED = 3
EXIT_PERMISSIONS = 4


def _generate(args: argparse.Namespace) -> int:
    from ipskpi.generator import generate

    manifest = generate(args.scale, args.seed, Path(args.out))
    counts = manifest.get("counts", {})
    print(f"Generated the {args.scale} landing folder (seed {args.seed}) in {args.out}")
    returns = counts.get("provider_returns", {})
    print(
        f"  provider returns: {returns.get('returns', 0):,} ({returns.get('csv_returns', 0):,} CSV folders, "
        f"{returns.get('xlsx_returns', 0):,} workbooks)"
    )
    for table, n in returns.get("tables", {}).items():
        print(f"    {table:<22} {n['rows']:>12,} rows  {n['distinct_records']:>12,} distinct records")
    for source, n in counts.items():
        if source != "provider_returns":
            print(f"  {source:<24} {n.get('files', 0):>6,} files {n.get('rows', 0):>12,} rows")
    return 0


def _refresh(args: argparse.Namespace) -> int:
    prefect_defaults()
    from flows.refresh import RefreshBlocked, nightly_refresh
    from ipskpi.lock import RefreshLocked
    from ipskpi.permissions import PermissionSetupError, modes

    try:
        WarehouseLayout(Path(args.warehouse).resolve())  # a path DuckDB cannot use fails here, at once
        modes()  # an unknown IPSKPI_RESTRICTED_GROUP refuses before anything starts
        summary = nightly_refresh(
            landing=str(args.landing), warehouse=str(args.warehouse), full_refresh=args.full_refresh
        )
    except PermissionSetupError as exc:
        print(f"Refresh refused: {exc}", file=sys.stderr)
        return EXIT_PERMISSIONS
    except RefreshLocked as exc:
        print(f"Refresh refused: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except UnsafeWarehousePath as exc:
        print(f"Refresh refused: {exc}", file=sys.stderr)
        return EXIT_BAD_PATH
    except RefreshBlocked as blocked:
        print(blocked.summary.to_text())
        return EXIT_BLOCKED
    print(summary.to_text())
    return EXIT_PUBLISHED


def _serve(args: argparse.Namespace) -> int:
    """Serve the nightly deployment from prefect.yaml on a Prefect server whose scheduler runs."""
    from ipskpi.serve import EXIT_SERVE_REFUSED, ServeRefused, serve

    try:
        return serve(
            args.landing,
            args.warehouse,
            prefect_yaml=args.prefect_yaml,
            port=args.port,
            ui=not args.no_ui,
            schedule_timeout=args.schedule_wait,
        )
    except ServeRefused as exc:
        print(f"Serve refused: {exc}", file=sys.stderr)
        return EXIT_SERVE_REFUSED


def _rollback(args: argparse.Namespace) -> int:
    from ipskpi.lock import RefreshLocked, refresh_lock
    from ipskpi.permissions import PermissionSetupError, restricted_umask
    from ipskpi.publish import rollback

    layout = WarehouseLayout(Path(args.warehouse).resolve())
    try:
        with restricted_umask(), refresh_lock(layout.lock_file):
            restored = rollback(layout)
    except RefreshLocked as exc:
        print(f"Rollback refused: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except PermissionSetupError as exc:
        print(f"Rollback refused: {exc}", file=sys.stderr)
        return EXIT_PERMISSIONS
    except FileNotFoundError as exc:
        print(f"Rollback refused: {exc}", file=sys.stderr)
        return EXIT_BLOCKED
    print(
        f"Restored generation {restored.name}: "
        f"{layout.public_dir}/ and {layout.restricted_dir}/ are its trees"
    )
    return 0


def _contract_yaml(_: argparse.Namespace) -> int:
    from ipskpi.contract_docs import write

    for path in write():
        print(f"wrote {path}")
    return 0


def _spark_check(args: argparse.Namespace) -> int:
    """Build on DuckDB and on Spark from the same raw layer; compare the scorecards."""
    from ipskpi.spark import spark_check

    check = spark_check(
        args.work,
        landing=args.landing,
        raw_db=args.raw_db,
        select=args.select,
        spark_exclude=args.spark_exclude,
        duckdb_tests=not args.no_duckdb_tests,
        tolerance=args.tolerance,
    )
    print(check.to_text())
    return 0 if check.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ipskpi", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a deterministic synthetic landing folder")
    gen.add_argument("--scale", choices=["sample", "national"], default="sample")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True)
    gen.set_defaults(func=_generate)

    ref = sub.add_parser("refresh", help="ingest -> dbt build -> audit -> publish")
    ref.add_argument(
        "--landing", type=Path, default=SAMPLE_LANDING, help="landing folder (default: bundled sample)"
    )
    ref.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE, help="warehouse folder")
    ref.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from nothing instead of extending the last published build",
    )
    ref.set_defaults(func=_refresh)

    sv = sub.add_parser(
        "serve",
        help="serve the nightly Prefect deployment (schedule from prefect.yaml) on a Prefect server that "
        "schedules: the one PREFECT_API_URL names, else a local one it starts and stops",
    )
    sv.add_argument("--landing", type=Path, default=SAMPLE_LANDING)
    sv.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    sv.add_argument(
        "--port",
        type=int,
        default=4200,
        help="port of the local Prefect server (127.0.0.1) when PREFECT_API_URL is not set (default 4200)",
    )
    sv.add_argument("--no-ui", action="store_true", help="start the local Prefect server without its UI")
    sv.add_argument(
        "--prefect-yaml",
        type=Path,
        default=PROJECT_DIR / "prefect.yaml",
        help="file whose ipskpi-nightly deployment is served (default: the project's prefect.yaml)",
    )
    sv.add_argument(
        "--schedule-wait",
        type=float,
        default=120,
        help="seconds to wait for the server's scheduler to create the first runs before refusing (120)",
    )
    sv.set_defaults(func=_serve)

    rb = sub.add_parser("rollback", help="put the previous published generation back")
    rb.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    rb.set_defaults(func=_rollback)

    from ipskpi.report.cli import add_report_command

    add_report_command(sub)

    cy = sub.add_parser("contract-yaml", help="rewrite the dbt YAML generated from the input contract")
    cy.set_defaults(func=_contract_yaml)

    sc = sub.add_parser(
        "spark-check",
        help="build on DuckDB and on Spark (dbt target spark) and compare fct_kpi_scorecard row by row",
    )
    sc.add_argument(
        "--landing", type=Path, default=None, help="landing folder to load (default: bundled sample)"
    )
    sc.add_argument(
        "--raw-db", type=Path, default=None, help="use this raw.duckdb instead of loading a landing folder"
    )
    sc.add_argument("--work", type=Path, default=None, help="work folder (default: a new temporary folder)")
    sc.add_argument(
        "--select", nargs="+", default=None, help="dbt --select for both builds (default: everything)"
    )
    sc.add_argument(
        "--spark-exclude",
        nargs="+",
        default=None,
        help="dbt --exclude for the Spark build (e.g. test_type:data)",
    )
    sc.add_argument(
        "--no-duckdb-tests", action="store_true", help="build only seeds and models on DuckDB (no tests)"
    )
    sc.add_argument(
        "--tolerance", type=float, default=1e-6, help="largest difference allowed between numbers"
    )
    sc.set_defaults(func=_spark_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
