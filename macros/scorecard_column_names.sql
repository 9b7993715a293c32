{#
    scorecard_column_names()

    The names of the columns scorecard_columns() returns, in order: fct_kpi_scorecard
    selects them by name from each section fact before the union (a union by column
    name, never by position).
#}
{% macro scorecard_column_names() -%}
    {{ return(['org_code', 'org_level', 'period_type', 'period_start', 'period_end', 'kpi_code',
        'breakdown_type', 'breakdown_value', 'numerator', 'denominator', 'value']) }}
{%- endmacro %}
