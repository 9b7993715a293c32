{#
    scorecard_columns(numerator='numerator', denominator='denominator', value='value')

    The select list that shapes a section fact's rows into the scorecard's columns and
    portable types (the section facts' enforced contracts, models/marts/*.yml):
    org_code, org_level, period_type, period_start, period_end, kpi_code,
    breakdown_type, breakdown_value (strings and dates), numerator, denominator and
    value (numeric). The one place these casts are written; fct_kpi_scorecard unions
    the section facts by these names (scorecard_column_names).
    Arguments:
        numerator, denominator, value: the SQL expression for each figure (default:
            the column of that name), e.g. 'null' for a fact that has no numerator.
#}
{% macro scorecard_columns(numerator='numerator', denominator='denominator', value='value') -%}
    cast(org_code as {{ dbt.type_string() }}) as org_code,
    cast(org_level as {{ dbt.type_string() }}) as org_level,
    cast(period_type as {{ dbt.type_string() }}) as period_type,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
    cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
    cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
    cast({{ numerator }} as {{ dbt.type_numeric() }}) as numerator,
    cast({{ denominator }} as {{ dbt.type_numeric() }}) as denominator,
    cast({{ value }} as {{ dbt.type_numeric() }}) as value
{%- endmacro %}

