/* Section E value-for-money populations summed per organisation and period (kpi_population_rollup). */
{{ kpi_population_rollup(ref('int_value_for_money_populations')) }}
