/*
    Disclosure control holds in the public scorecard: no count of people or events
    from 0 to 4 is ever shown (numerators of counts, rates, ratios and per-WTE figures;
    denominators of rates, ratios, means, medians and costs; values of counts). Returns the offending rows.
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
        kpis.unit
    from public_scorecard
    left join kpis
        on public_scorecard.kpi_code = kpis.kpi_code
)

select *
from checked
where (unit in ('count', 'rate', 'ratio', 'per_wte') and numerator between 0 and 4)
    or (unit in ('rate', 'ratio', 'mean', 'median_days', 'gbp') and denominator between 0 and 4)
    or (unit = 'count' and value between 0 and 4)
