/*
    Disclosure control holds in the public scorecard: no count of people or events
    from 0 to 4 is ever shown (0 is hidden too: README "Disclosure control"). Which of
    a KPI's numerator, denominator and value are counts comes from the KPI registry
    (dim_kpis), the same flags the public scorecard reads. Returns the offending rows.
*/
with

public_scorecard as (
    select * from {{ ref('fct_kpi_scorecard_public') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

checked as (
    select
        public_scorecard.*,
        kpis.is_numerator_a_count,
        kpis.is_denominator_a_count,
        kpis.is_value_a_count
    from public_scorecard
    left join kpis
        on public_scorecard.kpi_code = kpis.kpi_code
)

select *
from checked
where (is_numerator_a_count and numerator between 0 and 4)
    or (is_denominator_a_count and denominator between 0 and 4)
    or (is_value_a_count and value between 0 and 4)
