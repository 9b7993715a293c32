/*
    Section D dated-event KPIs (int_job_kpi_events: job starts, people into work,
    hours, temporary and self-employment, minimum wage, sustainment, retention)
    rolled up by kpi_rollup to every provider and England, per month, quarter and
    financial year; headline rows zero-filled over int_provider_periods.
*/
{{ kpi_rollup(ref('int_job_kpi_events')) }}
