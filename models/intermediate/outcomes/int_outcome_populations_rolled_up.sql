/*
    Section D per-period population KPIs (int_outcome_kpi_populations:
    employment_rate_out_of_work, care-plan rates, education_starts) rolled up by
    kpi_population_rollup to every provider and England, per month, quarter and
    financial year; headline rows zero-filled over int_provider_periods, a rate over
    an empty population is null.
*/
{{ kpi_population_rollup(ref('int_outcome_kpi_populations')) }}
