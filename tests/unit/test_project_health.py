"""Project health: dbt-project-evaluator's rules, checked on the manifest of ``dbt parse``.

We cannot install dbt packages from our machines, so the rules we hold ourselves to
(see ../shared/STYLE.md) are checked here instead, one test per rule:
sources only in staging, no staging-on-staging, no hard-coded relations, every model
documented with its grain and every listed column described, a primary-key test on
every model (or ``meta: event_rows: true`` with a reason), staging named and placed
by source, marts named fct_/dim_, public models with enforced contracts, exposures only on
public models, and the two largest rankings ordered one after the other.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import PROJECT_DIR
from ipskpi.dbt_runner import dbt_args, dbt_env, dbt_executable

PRIMARY_KEY_TESTS = {"unique", "unique_combination", "unique_combination_of_columns"}
GRAIN = re.compile(r"One row\b[^.]*\.$")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
RELATION_AFTER_FROM = re.compile(r"\b(?:from|join)\s+([a-z_][\w\"]*)\.([\w\".]+)", re.I)
CTE_NAME = re.compile(r"\b([a-z_]\w*)\s+as\s*\(", re.I)
# dbt-project-evaluator's own rule for event tables: no key, so say why in meta.
KEYLESS_FLAG = "event_rows"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``dbt parse`` into a temporary target path (the dbt profile needs existing DuckDB files)."""
    tmp = tmp_path_factory.mktemp("dbt-parse")
    for name in ("raw.duckdb", "build.duckdb"):
        duckdb.connect(str(tmp / name)).close()
    env = dbt_env(raw_db=tmp / "raw.duckdb", build_db=tmp / "build.duckdb")
    target = tmp / "target"
    done = subprocess.run(
        [dbt_executable(), *dbt_args(["parse"], target_path=target, log_path=tmp / "logs")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((target / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {
        key: node
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "ipskpi"
    }


def is_public(node: dict) -> bool:
    return node["config"].get("meta", {}).get("sensitivity") == "public"


def test_sources_are_referenced_only_by_staging_models(manifest):
    offenders = [
        node["name"]
        for node in models(manifest).values()
        if any(d.startswith("source.") for d in node["depends_on"]["nodes"])
        and not node["original_file_path"].startswith("models/staging/")
    ]
    assert offenders == []


def test_no_staging_model_depends_on_another_staging_model(manifest):
    by_key = models(manifest)
    offenders = [
        node["name"]
        for node in by_key.values()
        if node["name"].startswith("stg_")
        and any(by_key.get(d, {}).get("name", "").startswith("stg_") for d in node["depends_on"]["nodes"])
    ]
    assert offenders == []


def test_no_hard_coded_relations_in_model_sql(manifest):
    """Every relation comes through ref() or source(): no ``from raw.x`` or ``schema.table``."""
    offenders = []
    for node in models(manifest).values():
        sql = COMMENTS.sub(" ", JINJA.sub(" ", node["raw_code"]))
        ctes = {name.lower() for name in CTE_NAME.findall(sql)}
        for match in RELATION_AFTER_FROM.finditer(sql):
            qualifier = match.group(1).strip('"').lower()
            before = sql[: match.start()].rstrip()
            if (
                qualifier in ctes
                or before.lower().endswith("extract(")
                or re.search(r"extract\s*\(\s*\w+$", before, re.I)
            ):
                continue  # extract(year from cte.column) or a CTE's column, not a relation
            offenders.append(f"{node['name']}: {match.group(0)}")
    assert offenders == []


def test_every_model_description_ends_with_its_grain(manifest):
    offenders = [
        node["name"]
        for node in models(manifest).values()
        if not GRAIN.search((node.get("description") or "").strip())
    ]
    assert offenders == [], "descriptions must end with the grain, e.g. 'One row per provider per month.'"


def test_every_listed_column_is_described(manifest):
    offenders = [
        f"{node['name']}.{column}"
        for node in models(manifest).values()
        for column, spec in node["columns"].items()
        if not (spec.get("description") or "").strip()
    ]
    assert offenders == []


def _models_without_primary_key_test(manifest: dict) -> list[str]:
    tested = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        if (node.get("test_metadata") or {}).get("name") in PRIMARY_KEY_TESTS:
            tested.update(node["depends_on"]["nodes"])
    offenders = []
    for key, node in models(manifest).items():
        meta = node["config"].get("meta", {})
        if key in tested:
            continue
        if meta.get(KEYLESS_FLAG) is True and str(meta.get("event_rows_reason", "")).strip():
            continue
        offenders.append(node["name"])
    return sorted(offenders)


def test_every_model_has_a_primary_key_test_or_is_marked_event_rows(manifest):
    assert _models_without_primary_key_test(manifest) == []


def test_staging_models_live_in_their_source_folder_and_are_named_for_it(manifest):
    offenders = []
    for node in models(manifest).values():
        path = Path(node["original_file_path"])
        if path.parts[:2] == ("models", "staging"):
            source = path.parts[2] if len(path.parts) > 3 else ""
            if not source or not node["name"].startswith(f"stg_{source}__"):
                offenders.append(str(path))
        elif node["name"].startswith("stg_"):
            offenders.append(str(path))
    assert offenders == []


def test_marts_are_named_fct_or_dim(manifest):
    offenders = [
        node["name"]
        for node in models(manifest).values()
        if node["original_file_path"].startswith("models/marts/")
        and not re.match(r"(fct|dim)_", node["name"])
    ]
    assert offenders == []


def test_public_models_have_enforced_contracts(manifest):
    public = [node for node in models(manifest).values() if is_public(node)]
    assert public, "at least the public scorecard is public"
    offenders = [node["name"] for node in public if not node["config"].get("contract", {}).get("enforced")]
    assert offenders == []


def test_exposures_depend_only_on_public_models(manifest):
    assert _exposure_offenders(manifest) == []


def _exposure_offenders(manifest: dict) -> list[str]:
    by_key = models(manifest)
    return sorted(
        {
            f"{exposure['name']} -> {by_key[d]['name'] if d in by_key else d}"
            for exposure in manifest["exposures"].values()
            for d in exposure["depends_on"]["nodes"]
            if d not in by_key or not is_public(by_key[d])
        }
    )


def test_the_models_exposures_read_are_access_public_and_no_others(manifest):
    """dbt's model access says who may ref a model from another project: the models the
    exposures read are the published interface (access: public); every other model keeps
    dbt's default (protected), so a data engineer sees at a glance what BI may depend on."""
    by_key = models(manifest)
    exposed = {d for e in manifest["exposures"].values() for d in e["depends_on"]["nodes"] if d in by_key}
    access_public = {key for key, node in by_key.items() if node.get("access") == "public"}
    assert exposed and access_public == exposed, sorted(by_key[k]["name"] for k in access_public ^ exposed)


def test_exposures_are_declared_with_owner_maturity_and_url(manifest):
    exposures = manifest["exposures"]
    assert {e["name"] for e in exposures.values()} >= {"bi_dashboards", "commissioner_report"}
    for exposure in exposures.values():
        assert exposure["owner"].get("name") and exposure["maturity"] and exposure["url"]


def test_exposures_say_they_read_the_public_tree_and_public_models_match_what_is_published(manifest):
    """Each exposure names its tree (meta: tree) and, depending only on public models, reads
    public/; the models with sensitivity public are exactly the tables the public tree holds."""
    from ipskpi.publish import PUBLIC_TABLES

    for exposure in manifest["exposures"].values():
        meta = (exposure.get("config") or {}).get("meta") or exposure.get("meta") or {}
        assert meta.get("tree") == "public", exposure["name"]
    public_models = {node["name"] for node in models(manifest).values() if is_public(node)}
    assert public_models == set(PUBLIC_TABLES)


def _ancestors(manifest: dict, key: str) -> set[str]:
    seen: set[str] = set()
    todo = [key]
    while todo:
        for parent in manifest["nodes"].get(todo.pop(), {}).get("depends_on", {}).get("nodes", []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_the_two_largest_rankings_never_run_at_once(manifest):
    """int_contacts_current and int_referrals_current each rank every version of every record
    with a window DuckDB does not spill (benchmarks/README.md): one must be an ancestor of the
    other, so dbt's threads never run them side by side and a fixed memory cap holds one."""
    contacts, referrals = "model.ipskpi.int_contacts_current", "model.ipskpi.int_referrals_current"
    assert contacts in _ancestors(manifest, referrals) or referrals in _ancestors(manifest, contacts)
