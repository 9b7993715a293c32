/*
    The public scorecard: the restricted scorecard after statistical disclosure
    control (the NHS England rule used for MHSDS).
    Steps:
    1. Read which of numerator, denominator and value are counts of people or
       events from the KPI registry (dim_kpis: is_numerator_a_count,
       is_denominator_a_count, is_value_a_count; by unit: count - numerator and value,
       rate and ratio - numerator and denominator, per_wte - numerator, mean,
       median_days and gbp - denominator, score and wte - none). A KPI missing from
       the registry counts as neither (the relationships test on kpi_code fails).
    2. A cell is suppressed when any of its counts is from 1 to 4; a suppressed cell
       is null with is_suppressed = true, never zero.
    3. Other counts are rounded to the nearest 5; rates and ratios are recomputed
       from the rounded counts (so exact counts cannot be worked back from them);
       means, medians, per-WTE figures and scores keep their exact value unless
       suppressed.
    No identifiers below organisation level.
    One row per organisation per period per KPI per breakdown.
*/
with

scorecard as (
    select * from {{ ref('fct_kpi_scorecard') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

counts_classified as (
    select
        scorecard.*,
        coalesce(kpis.is_numerator_a_count, false) as is_numerator_a_count,
        coalesce(kpis.is_denominator_a_count, false) as is_denominator_a_count,
        coalesce(kpis.is_value_a_count, false) as is_value_a_count
    from scorecard
    left join kpis
        on scorecard.kpi_code = kpis.kpi_code
),

flagged as (
    select
        *,
        (is_numerator_a_count and {{ is_disclosive('numerator') }})
        or (is_denominator_a_count and {{ is_disclosive('denominator') }}) as is_suppressed
    from counts_classified
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
        case
            when is_suppressed then null
            when is_numerator_a_count then {{ suppress_count('numerator') }}
            else numerator
        end as numerator,
        case
            when is_suppressed then null
            when is_denominator_a_count then {{ suppress_count('denominator') }}
            else denominator
        end as denominator,
        cast(
            case
                when is_suppressed then null
                when is_value_a_count then {{ suppress_count('value') }}
                -- A count over a count (a rate or ratio) is recomputed from the rounded
                -- counts, so the exact counts cannot be worked back from the value.
                when is_numerator_a_count and is_denominator_a_count
                    and {{ suppress_count('denominator') }} > 0
                    then {{ suppress_count('numerator') }} / {{ suppress_count('denominator') }}
                when is_numerator_a_count and is_denominator_a_count then null
                else value
            end as {{ dbt.type_numeric() }}
        ) as value,
        target_min,
        target_max,
        case when is_suppressed then null else target_status end as target_status,
        as_of_date,
        is_suppressed,
        -- what the figure rests on: returns and providers, not counts of people
        months_expected,
        months_with_return,
        providers_expected,
        providers_reporting,
        is_incomplete,
        is_provisional
    from flagged
)

select * from final
