/*
    Section C dated-event KPIs (int_caseload_kpi_events) rolled up by kpi_rollup to
    every provider and England, per month, quarter and financial year; headline rows
    zero-filled over int_provider_periods. employer_contacts_per_es_week carries only
    its numerator here (the count of employer_face_to_face contacts); fct_caseload
    sets its denominator and value.
*/
{{ kpi_rollup(ref('int_caseload_kpi_events')) }}
