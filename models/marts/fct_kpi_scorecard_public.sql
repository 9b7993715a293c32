/*
    The public scorecard: the restricted scorecard after statistical disclosure
    control (the NHS England rule used for MHSDS).
    Steps:
    1. Decide which of numerator, denominator and value are counts of people or
       events, from the KPI's unit: count (numerator, value), rate and ratio
       (numerator, denominator), per_wte (numerator; the denominator is WTE), mean,
       median_days and gbp (denominator: the records behind the figure), score and
       wte (none).
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
        kpis.unit,
        coalesce(kpis.unit in ('count', 'rate', 'ratio', 'per_wte'), false) as is_numerator_a_count,
        coalesce(kpis.unit in ('rate', 'ratio', 'mean', 'median_days', 'gbp'), false)
            as is_denominator_a_count
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
                when unit = 'count' then {{ suppress_count('value') }}
                -- A rate or ratio is recomputed from the rounded counts, so the exact
                -- counts cannot be worked back from an exact rate beside them.
                when unit in ('rate', 'ratio') and {{ suppress_count('denominator') }} > 0
                    then {{ suppress_count('numerator') }} / {{ suppress_count('denominator') }}
                when unit in ('rate', 'ratio') then null
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
