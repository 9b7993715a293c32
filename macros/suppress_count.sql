{#
    suppress_count(column_name)

    The NHS England statistical disclosure rule used for MHSDS: a count from 1 to 4
    becomes null (suppressed); any other count is rounded to the nearest 5 (7 -> 5,
    8 -> 10); 0 stays 0 and null stays null.
    Arguments:
        column_name: a count column or expression.
#}
{% macro suppress_count(column_name) -%}
    case
        when {{ column_name }} is null then null
        when {{ column_name }} >= 1 and {{ column_name }} <= 4 then null
        else cast(round(cast({{ column_name }} as {{ dbt.type_numeric() }}) / 5, 0) * 5 as {{ dbt.type_numeric() }})
    end
{%- endmacro %}

{#
    is_disclosive(column_name)

    True when a count falls in the suppressed range 1-4.
    Arguments:
        column_name: a count column or expression.
#}
{% macro is_disclosive(column_name) -%}
    coalesce({{ column_name }} >= 1 and {{ column_name }} <= 4, false)
{%- endmacro %}
