/*
    The public scorecard: the restricted scorecard after statistical disclosure
    control (the NHS England rule used for MHSDS), and no published number that gives
    a hidden or rounded count back (README "Disclosure control").
    Steps:
    1. Decide which of numerator, denominator and value are counts of people or
       events, from the KPI's unit: count (numerator, value), rate and ratio
       (numerator, denominator), per_wte (numerator; the denominator is WTE), mean,
       median_days and gbp (denominator: the records behind the figure), score and
       wte (none).
    2. Primary suppression: a row is hidden when any of its counts is from 1 to 4.
    3. Secondary suppression: a hidden row must not be the only hidden row of a group
       whose parent is the sum of its children (England and its providers; a financial
       year and its quarters, a quarter and its months; a headline and the categories
       of one breakdown), or the parent minus the other children gives it back. Each
       pass hides the smallest visible child of every group with exactly one hidden
       row (macros/secondary_suppression.sql), until none is left. A hidden row is null
       with is_suppressed = true, never zero.
    4. Other counts are rounded to the nearest 5; every derived figure is worked from
       the published (rounded) counts or rounded itself, so no count can be worked back
       from it: rates and ratios are the rounded numerator over the rounded
       denominator; a per-WTE figure is the rounded count over the WTE (published); a
       cost is the cost over the rounded count; a mean is published without its sum
       and to one decimal place; a median of days to whole days (a median ending in .5
       would say the count is even).
    No identifiers below organisation level.
    One row per organisation per period per KPI per breakdown.
*/
{%- set secondary_passes = 8 %}

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
        -- Nulls sort differently across engines: the row id orders on non-null keys.
        row_number() over (
            order by
                org_code, period_type, period_start, kpi_code,
                coalesce(breakdown_type, '~'), coalesce(breakdown_value, '~')
        ) as row_id,
        coalesce(breakdown_type, '~') as breakdown_type_key,
        coalesce(breakdown_value, '~') as breakdown_value_key,
        case when is_numerator_a_count then numerator end as numerator_count,
        case when is_denominator_a_count then denominator end as denominator_count,
        (is_numerator_a_count and coalesce(numerator >= 0 and numerator <= 4, false))
        or (is_denominator_a_count and coalesce(denominator >= 0 and denominator <= 4, false))
            as is_primary_suppressed
    from counts_classified
),

counted as (
    select * from flagged
    where is_numerator_a_count or is_denominator_a_count
),

england as (
    select distinct org_code from counted
    where org_level = 'england'
),

-- Each organisation's parent: every provider's is England (ICBs and regions go here).
org_parents as (
    select distinct
        providers.org_code as child_org_code,
        england.org_code as parent_org_code
    from counted as providers
    cross join england
    where providers.org_level = 'provider'
),

org_children as (
    select
        'organisation' as dimension,
        {{ dbt.concat(["'organisation '", "parents.kpi_code", "' '", "parents.breakdown_type_key"]) }} as family,
        parents.row_id as parent_row_id,
        '~' as breakdown_type_key,
        children.row_id
    from counted as children
    inner join org_parents
        on children.org_code = org_parents.child_org_code
    inner join counted as parents
        on org_parents.parent_org_code = parents.org_code
        and children.period_type = parents.period_type
        and children.period_start = parents.period_start
        and children.kpi_code = parents.kpi_code
        and children.breakdown_type_key = parents.breakdown_type_key
        and children.breakdown_value_key = parents.breakdown_value_key
),

period_children as (
    select
        'period' as dimension,
        {{ dbt.concat([
            "'period '", "parents.period_type", "' '", "parents.kpi_code", "' '", "parents.breakdown_type_key"
        ]) }} as family,
        parents.row_id as parent_row_id,
        '~' as breakdown_type_key,
        children.row_id
    from counted as children
    inner join counted as parents
        on children.org_code = parents.org_code
        and children.kpi_code = parents.kpi_code
        and children.breakdown_type_key = parents.breakdown_type_key
        and children.breakdown_value_key = parents.breakdown_value_key
        and children.period_start >= parents.period_start
        and children.period_end <= parents.period_end
    where (parents.period_type = 'financial_year' and children.period_type = 'quarter')
        or (parents.period_type = 'quarter' and children.period_type = 'month')
),

breakdown_children as (
    select
        'breakdown' as dimension,
        {{ dbt.concat(["'breakdown '", "headlines.kpi_code", "' '", "categories.breakdown_type_key"]) }} as family,
        headlines.row_id as parent_row_id,
        categories.breakdown_type_key,
        categories.row_id
    from counted as categories
    inner join counted as headlines
        on categories.org_code = headlines.org_code
        and categories.period_type = headlines.period_type
        and categories.period_start = headlines.period_start
        and categories.kpi_code = headlines.kpi_code
    where headlines.breakdown_type is null
        and categories.breakdown_type is not null
),

all_children as (
    select * from org_children
    union all
    select * from period_children
    union all
    select * from breakdown_children
),

group_sums as (
    select
        all_children.family,
        all_children.dimension,
        all_children.parent_row_id,
        all_children.breakdown_type_key,
        sum(children.numerator_count) as numerator_sum,
        sum(children.denominator_count) as denominator_sum
    from all_children
    inner join counted as children
        on all_children.row_id = children.row_id
    group by
        all_children.family,
        all_children.dimension,
        all_children.parent_row_id,
        all_children.breakdown_type_key
),

-- A family of groups (one dimension, one KPI, one breakdown) is protected for a column
-- only where the parent is the sum of its children in every group, as ipskpi.disclosure
-- checks (a caseload at the period end is not the sum of its months).
families as (
    select
        group_sums.family,
        min(
            case when abs(parents.numerator_count - group_sums.numerator_sum) < 0.000001 then 1 else 0 end
        ) = 1 as is_numerator_additive,
        min(
            case when abs(parents.denominator_count - group_sums.denominator_sum) < 0.000001 then 1 else 0 end
        ) = 1 as is_denominator_additive
    from group_sums
    inner join counted as parents
        on group_sums.parent_row_id = parents.row_id
    group by group_sums.family
),

additive_groups as (
    select
        {{ dbt.concat([
            "group_sums.dimension", "' '", "cast(group_sums.parent_row_id as " ~ dbt.type_string() ~ ")",
            "' '", "group_sums.breakdown_type_key"
        ]) }} as group_id,
        group_sums.family,
        group_sums.dimension,
        group_sums.parent_row_id,
        group_sums.breakdown_type_key,
        coalesce(families.is_numerator_additive, false) as is_numerator_additive,
        coalesce(families.is_denominator_additive, false) as is_denominator_additive
    from group_sums
    inner join families
        on group_sums.family = families.family
    where coalesce(families.is_numerator_additive, false) or coalesce(families.is_denominator_additive, false)
),

memberships as (
    select
        additive_groups.group_id,
        all_children.row_id,
        false as is_group_parent,
        additive_groups.is_numerator_additive,
        additive_groups.is_denominator_additive
    from all_children
    inner join additive_groups
        on all_children.dimension = additive_groups.dimension
        and all_children.parent_row_id = additive_groups.parent_row_id
        and all_children.breakdown_type_key = additive_groups.breakdown_type_key
    union all
    select
        group_id,
        parent_row_id as row_id,
        true as is_group_parent,
        is_numerator_additive,
        is_denominator_additive
    from additive_groups
),

hidden_0 as (
    select
        row_id,
        numerator_count,
        denominator_count,
        is_primary_suppressed as is_hidden
    from counted
),

{% for pass_number in range(secondary_passes) %}
{{ secondary_suppression_pass(pass_number, 'memberships') }},

{% endfor %}
suppressed as (
    select
        flagged.*,
        coalesce(hidden.is_hidden, false) as is_suppressed
    from flagged
    left join hidden_{{ secondary_passes }} as hidden
        on flagged.row_id = hidden.row_id
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
            -- The sum behind a mean: with the mean it would give the count back.
            when unit = 'mean' then null
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
                -- Rates and ratios from the rounded counts, so the exact counts cannot
                -- be worked back from an exact rate beside them.
                when unit in ('rate', 'ratio') and {{ suppress_count('denominator') }} > 0
                    then {{ suppress_count('numerator') }} / {{ suppress_count('denominator') }}
                when unit in ('rate', 'ratio') then null
                -- Per WTE: the rounded count over the published WTE.
                when unit = 'per_wte' and denominator > 0
                    then {{ suppress_count('numerator') }} / denominator
                when unit = 'per_wte' then null
                -- A cost per outcome: the published cost over the rounded count.
                when unit = 'gbp' and {{ suppress_count('denominator') }} > 0
                    then numerator / {{ suppress_count('denominator') }}
                when unit = 'gbp' then null
                when unit = 'mean' then round(value, 1)
                when unit = 'median_days' then round(value, 0)
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
    from suppressed
)

select * from final
