{#
    rates_are_fractions(model)

    Fails for every row of a scorecard-shaped model whose KPI is a rate in the KPI
    registry (dim_kpis.is_rate, whatever the code is called) and whose denominator is
    positive, but whose value is not from 0 to 1 or whose numerator exceeds the
    denominator.
#}
{% test rates_are_fractions(model) %}

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
where kpis.is_rate
    and facts.denominator > 0
    and not coalesce(
        facts.value >= 0 and facts.value <= 1 and facts.numerator <= facts.denominator, false
    )

{% endtest %}
