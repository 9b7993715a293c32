"""The ``ipskpi`` command: generate sample data, refresh the warehouse, roll back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ipskpi.config import (
    DEFAULT_WAREHOUSE,
    SAMPLE_LANDING,
    UnsafeWarehousePath,
    WarehouseLayout,
    prefect_defaults,
)

EXIT_PUBLISHED = 0
EXIT_BLOCKED = 1
EXIT_LOCKED = 3
EXIT_BAD_PATH = 2


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

    try:
        WarehouseLayout(Path(args.warehouse).resolve())  # a path DuckDB cannot use fails here, at once
        summary = nightly_refresh(
            landing=str(args.landing), warehouse=str(args.warehouse), full_refresh=args.full_refresh
        )
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
    """Serve the nightly deployment from prefect.yaml (schedule and all) in this process."""
    prefect_defaults()
    import yaml
    from prefect.schedules import Cron

    from flows.refresh import nightly_refresh
    from ipskpi.config import PROJECT_DIR

    spec = yaml.safe_load((PROJECT_DIR / "prefect.yaml").read_text())
    deployment = next(d for d in spec["deployments"] if d["name"] == "ipskpi-nightly")
    schedules = [Cron(s["cron"], timezone=s["timezone"]) for s in deployment["schedules"]]
    print(
        f"Serving {deployment['name']}: "
        + ", ".join(f"{s['cron']} ({s['timezone']})" for s in deployment["schedules"])
        + f"; landing {args.landing}, warehouse {args.warehouse}. Ctrl-C to stop."
    )
    nightly_refresh.serve(
        name=deployment["name"],
        schedules=schedules,
        parameters={"landing": str(args.landing), "warehouse": str(args.warehouse)},
        tags=deployment.get("tags"),
        description=deployment.get("description"),
        global_limit=deployment.get("concurrency_limit"),
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from ipskpi.publish import rollback

    layout = WarehouseLayout(Path(args.warehouse).resolve())
    restored = rollback(layout)
    print(f"Restored {restored.name} as {layout.published_db}")
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

    sv = sub.add_parser("serve", help="serve the nightly Prefect deployment (cron from prefect.yaml)")
    sv.add_argument("--landing", type=Path, default=SAMPLE_LANDING)
    sv.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
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
