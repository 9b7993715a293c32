/* Section D job-start KPIs for every provider and England. One row per organisation per period per KPI per breakdown. */
{{ kpi_rollup(ref('int_job_kpi_events')) }}
