"""Prefect flows of the IPS KPI warehouse (deployments: flows/prefect.yaml)."""
