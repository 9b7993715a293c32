/* Section B intake KPIs for every provider and England. One row per organisation per period per KPI per breakdown. */
{{ kpi_rollup(ref('int_intake_kpi_events')) }}
