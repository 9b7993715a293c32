{#
    counts_are_not_negative(model)

    Fails for every row of a scorecard-shaped model where a figure the KPI registry
    (dim_kpis) calls a count is negative: the numerator where is_numerator_a_count, the
    denominator where is_denominator_a_count, the value where is_value_a_count.
#}
{% test counts_are_not_negative(model) %}

with

facts as (
    select * from {{ model }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
)

select facts.*
from facts
inner join kpis
    on facts.kpi_code = kpis.kpi_code
where (kpis.is_numerator_a_count and facts.numerator < 0)
    or (kpis.is_denominator_a_count and facts.denominator < 0)
    or (kpis.is_value_a_count and facts.value < 0)

{% endtest %}
