/*
    The public scorecard: the restricted scorecard after statistical disclosure
    control. Counts 1-4 are suppressed (null), other counts rounded to the nearest 5;
    a rate, mean or median whose numerator or denominator is 1-4 is suppressed with
    them; a suppressed cell is null with is_suppressed = true, never zero. Carries no
    identifiers below organisation level.
    One row per organisation per period per KPI per breakdown.
*/
with

scorecard as (
    select * from {{ ref('fct_kpi_scorecard') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

flagged as (
    select
        scorecard.*,
        kpis.unit,
        case
            when kpis.unit = 'mean' then {{ is_disclosive('scorecard.denominator') }}
            else {{ is_disclosive('scorecard.numerator') }} or {{ is_disclosive('scorecard.denominator') }}
        end as is_suppressed
    from scorecard
    left join kpis
        on scorecard.kpi_code = kpis.kpi_code
),

final as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        case when is_suppressed then null else {{ suppress_count('numerator') }} end as numerator,
        case when is_suppressed then null else {{ suppress_count('denominator') }} end as denominator,
        case
            when is_suppressed then null
            when unit = 'count' then {{ suppress_count('value') }}
            else value
        end as value,
        target_min,
        target_max,
        case when is_suppressed then null else target_status end as target_status,
        as_of_date,
        is_suppressed
    from flagged
)

select * from final
