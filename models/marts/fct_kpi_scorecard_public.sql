/*
    The public scorecard: the restricted scorecard after statistical disclosure
    control (the NHS England rule used for MHSDS), and no published number that gives
    a hidden or rounded count back (README "Disclosure control").
    Steps 1-3 are the models in models/intermediate/disclosure/, each pass of secondary
    suppression a table of its own, so that no engine has to inline the chain of passes
    (Spark's analyser could not):
    1. int_public_rows: read which of numerator, denominator and value are counts of
       people or events from the KPI registry (dim_kpis: is_numerator_a_count,
       is_denominator_a_count, is_value_a_count; by unit: count (numerator, value),
       rate and ratio (numerator, denominator), per_wte (numerator; the denominator is
       WTE), mean, median_days and gbp (denominator: the records behind the figure),
       score and wte (none)). A KPI missing from the registry counts as neither (the
       relationships test on kpi_code fails). The registry's public_value then says
       how the value is worked from the rounded counts (step 4).
    2. int_public_rows, int_public_hidden_pass_0: primary suppression: a row is hidden
       when any of its counts is from 0 to 4.
    3. int_public_groups, int_public_hidden_pass_1 to _8: secondary suppression: a
       hidden row must not be the only hidden row of a group whose parent is the sum of
       its children (England and its providers; a financial year and its quarters, a
       quarter and its months; a headline and the categories of one breakdown), nor
       leave the group's rounded counts at the edge of what they allow, or the parent
       minus the other children gives a count back. Each pass hides the smallest
       visible child of every group at risk (macros/secondary_suppression.sql); this
       model reads the last pass. A hidden row is null with is_suppressed = true, never
       zero.
    4. Here: other counts are rounded to the nearest 5; every derived figure is worked
       from the published (rounded) counts or rounded itself, so no count can be worked
       back from it: rates and ratios are the rounded numerator over the rounded
       denominator; a per-WTE figure is the rounded count over the WTE (published); a
       cost is the cost over the rounded count; a mean is published without its sum
       and to one decimal place; a median of days to whole days (a median ending in .5
       would say the count is even). target_status is judged on the published value
       (macros/target_status.sql, the restricted scorecard's rule): a status worked
       from the exact value could say on which side of the target an exact rate lies
       when the rounded figure beside it says the other (14.3% shown, "not met").
       target_framework is the restricted scorecard's (the framework version of the
       target, fct_kpi_scorecard), read from its headline row and shown wherever this
       row shows a target.
    No identifiers below organisation level.
    One row per organisation per period per KPI per breakdown.
*/

with

public_rows as (
    select * from {{ ref('int_public_rows') }}
),

hidden as (
    select * from {{ ref('int_public_hidden_pass_8') }}
),

-- The framework version of each headline's target (a breakdown row has no target of
-- its own; a zero-filled one carries its headline's, int_public_rows).
target_frameworks as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        kpi_code,
        target_framework
    from {{ ref('fct_kpi_scorecard') }}
    where breakdown_type is null
        and target_framework is not null
),

suppressed as (
    select
        public_rows.*,
        coalesce(hidden.is_hidden, false) as is_suppressed,
        case
            when public_rows.target_min is not null or public_rows.target_max is not null
                then target_frameworks.target_framework
        end as target_framework
    from public_rows
    left join hidden
        on public_rows.row_id = hidden.row_id
    left join target_frameworks
        on public_rows.org_code = target_frameworks.org_code
        and public_rows.org_level = target_frameworks.org_level
        and public_rows.period_type = target_frameworks.period_type
        and public_rows.period_start = target_frameworks.period_start
        and public_rows.kpi_code = target_frameworks.kpi_code
),

published as (
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
            -- The sum behind a mean: with the mean it would give the count back.
            when public_value = 'mean_without_sum' then null
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
                -- How the value is worked from the published counts: the registry's
                -- public_value (dim_kpis).
                when public_value = 'rounded_count' then {{ suppress_count('value') }}
                -- A count over a count (a rate or ratio) from the rounded counts, so the
                -- exact counts cannot be worked back from an exact rate beside them.
                when public_value = 'rounded_ratio' and {{ suppress_count('denominator') }} > 0
                    then {{ suppress_count('numerator') }} / {{ suppress_count('denominator') }}
                when public_value = 'rounded_ratio' then null
                -- Per WTE: the rounded count over the published WTE.
                when public_value = 'rounded_count_per_wte' and denominator > 0
                    then {{ suppress_count('numerator') }} / denominator
                when public_value = 'rounded_count_per_wte' then null
                -- A cost per outcome: the published cost over the rounded count.
                when public_value = 'cost_per_rounded_count' and {{ suppress_count('denominator') }} > 0
                    then numerator / {{ suppress_count('denominator') }}
                when public_value = 'cost_per_rounded_count' then null
                -- A public source's own published rate (MHSDS AMH17e%): NHS Digital's
                -- figure, not worked from counts of ours, and without a denominator.
                when public_value = 'as_published' then value
                when public_value = 'mean_without_sum' then round(value, 1)
                when public_value = 'median_whole_days' then round(value, 0)
                else value
            end as {{ dbt.type_numeric() }}
        ) as value,
        target_min,
        target_max,
        target_framework,
        as_of_date,
        is_suppressed,
        -- what the figure rests on: returns and providers, not counts of people
        months_expected,
        months_with_return,
        providers_expected,
        providers_reporting,
        is_incomplete,
        is_provisional
    from suppressed
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
        numerator,
        denominator,
        value,
        target_min,
        target_max,
        cast({{ target_status('value', 'target_min', 'target_max') }} as {{ dbt.type_string() }}) as target_status,
        target_framework,
        as_of_date,
        is_suppressed,
        months_expected,
        months_with_return,
        providers_expected,
        providers_reporting,
        is_incomplete,
        is_provisional
    from published
)

select * from final
