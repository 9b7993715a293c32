"""IPS KPI warehouse."""
