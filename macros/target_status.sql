{#
    target_status(value, target_min, target_max)

    'met' when the value lies within its target range, 'not_met' when it is below
    target_min or above target_max, null when the value is null or the KPI has no
    target. One rule for both scorecards: the restricted one judges the exact value,
    the public one the published value (so a public status never says more than the
    figure beside it).
#}
{% macro target_status(value, target_min, target_max) %}
    case
        when {{ value }} is null then null
        when {{ target_min }} is null and {{ target_max }} is null then null
        when {{ value }} < coalesce({{ target_min }}, {{ value }}) then 'not_met'
        when {{ value }} > coalesce({{ target_max }}, {{ value }}) then 'not_met'
        else 'met'
    end
{% endmacro %}
