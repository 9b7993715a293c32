"""The staging YAML is generated from the contract the loader enforces: they must not drift."""

from ipskpi.contract_docs import render


def test_committed_staging_yaml_matches_the_contract():
    stale = [str(path) for path, text in render().items() if not path.exists() or path.read_text() != text]
    assert not stale, f"run `uv run ipskpi contract-yaml` to regenerate: {stale}"
