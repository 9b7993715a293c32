"""dbt docs for the public tree: only the public models, their tests and the exposures.

``dbt docs generate --select`` limits only the catalog (the tables dbt introspects); the
manifest inlined in the static page still describes every model, source and seed. So
the public page is built the way ``dbt docs generate --static`` builds its own
(dbt/task/docs/generate.py: the ``index.html`` template with the manifest and catalog
pasted in place of ``"MANIFEST.JSON INLINE DATA"`` and ``"CATALOG.JSON INLINE DATA"``),
from a manifest and a catalog filtered to:

- the public models (``PUBLIC_TABLES`` published in the public tree, which are the models
  with ``meta: {sensitivity: public}``);
- the data tests and unit tests on them alone;
- the exposures whose every dependency is public;
- the project's docs blocks and macros (code, no data).

Sources, seeds, restricted models and the tests on them are left out, and every
reference to them (``depends_on``, ``parent_map``, ``child_map``) is removed, so the page's
lineage ends at the public models.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST_PLACEHOLDER = '"MANIFEST.JSON INLINE DATA"'
CATALOG_PLACEHOLDER = '"CATALOG.JSON INLINE DATA"'


def _is_public_model(node: dict, public_tables: set[str]) -> bool:
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    return (
        node.get("resource_type") == "model"
        and node.get("name") in public_tables
        and meta.get("sensitivity") == "public"
    )


def filter_manifest(manifest: dict, public_tables: list[str]) -> dict:
    """A copy of a dbt manifest that describes only the public models (see the module doc)."""
    wanted = set(public_tables)
    models = {uid for uid, node in manifest.get("nodes", {}).items() if _is_public_model(node, wanted)}
    tests = {
        uid
        for uid, node in manifest.get("nodes", {}).items()
        if node.get("resource_type") == "test"
        and (node.get("depends_on") or {}).get("nodes")
        and set(node["depends_on"]["nodes"]) <= models
    }
    keep = models | tests
    exposures = {
        uid
        for uid, exposure in manifest.get("exposures", {}).items()
        if set((exposure.get("depends_on") or {}).get("nodes") or []) <= models
    }
    unit_tests = {
        uid
        for uid, unit in manifest.get("unit_tests", {}).items()
        if set((unit.get("depends_on") or {}).get("nodes") or []) <= models
    }
    shown = keep | exposures | unit_tests
    out = {key: value for key, value in manifest.items()}
    out["nodes"] = {uid: _prune(manifest["nodes"][uid], shown) for uid in sorted(keep)}
    out["exposures"] = {uid: _prune(manifest["exposures"][uid], shown) for uid in sorted(exposures)}
    out["unit_tests"] = {uid: _prune(manifest["unit_tests"][uid], shown) for uid in sorted(unit_tests)}
    for key in ("sources", "metrics", "semantic_models", "saved_queries", "disabled", "groups", "selectors"):
        if key in out:
            out[key] = {}
    for key in ("parent_map", "child_map"):
        if key in out:
            out[key] = {
                uid: [other for other in links if other in shown]
                for uid, links in (manifest.get(key) or {}).items()
                if uid in shown
            }
    if "group_map" in out:
        out["group_map"] = {}
    return out


def _prune(node: dict, shown: set[str]) -> dict:
    node = dict(node)
    depends = dict(node.get("depends_on") or {})
    if "nodes" in depends:
        depends["nodes"] = [uid for uid in depends["nodes"] if uid in shown]
        node["depends_on"] = depends
    return node


def filter_catalog(catalog: dict, manifest: dict) -> dict:
    """The catalog entries of the nodes a filtered manifest keeps (no sources)."""
    out = dict(catalog)
    out["nodes"] = {uid: v for uid, v in (catalog.get("nodes") or {}).items() if uid in manifest["nodes"]}
    out["sources"] = {}
    out["errors"] = None
    return out


def public_static_docs(dbt_target: Path, public_tables: list[str]) -> str:
    """The self-contained HTML page of the public models, from a target after ``docs generate``."""
    template = (dbt_target / "index.html").read_text(encoding="utf-8")
    if MANIFEST_PLACEHOLDER not in template or CATALOG_PLACEHOLDER not in template:
        raise ValueError(f"{dbt_target / 'index.html'} is not dbt's docs template")
    manifest = filter_manifest(json.loads((dbt_target / "manifest.json").read_text()), public_tables)
    catalog = filter_catalog(json.loads((dbt_target / "catalog.json").read_text()), manifest)
    # The JSON is pasted into a <script> element: escape "</" so no value can close it.
    as_script = {
        name: json.dumps(data).replace("</", "<\\/") for name, data in (("m", manifest), ("c", catalog))
    }
    return template.replace(MANIFEST_PLACEHOLDER, as_script["m"], 1).replace(
        CATALOG_PLACEHOLDER, as_script["c"], 1
    )
