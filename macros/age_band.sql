{#
    age_band(column_name)

    The intake-profile age bands of kpi-catalogue.md: under_18, 18_35, 36_50,
    51_65, 66_plus; not_recorded when the age is missing.
    Arguments:
        column_name: an integer age in years.
#}
{% macro age_band(column_name) -%}
    case
        when {{ column_name }} is null then 'not_recorded'
        when {{ column_name }} < 18 then 'under_18'
        when {{ column_name }} <= 35 then '18_35'
        when {{ column_name }} <= 50 then '36_50'
        when {{ column_name }} <= 65 then '51_65'
        else '66_plus'
    end
{%- endmacro %}
