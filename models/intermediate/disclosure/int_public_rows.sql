/*
    The rows of the public scorecard before disclosure control (README "Disclosure
    control", step 1 and 2): every row of fct_kpi_scorecard with a row id, which of its
    numerator, denominator and value are counts of people or events (from the KPI
    registry, dim_kpis: is_numerator_a_count, is_denominator_a_count, is_value_a_count;
    a KPI missing from it counts as neither), those counts, and whether a count from 0
    to 4 hides the row (primary suppression).
    Breakdowns of counts are zero-filled: where the restricted scorecard has a
    headline of a KPI whose value is a count (dim_kpis.is_value_a_count) and that KPI
    publishes a breakdown for that period type, every category of that breakdown that
    the scorecard has anywhere (any organisation, any period) gets a row here, with a
    count of 0 where the restricted scorecard has none (is_zero_filled), so that it is
    hidden like any count from 0 to 4. An absent category row would otherwise say 0
    where a present one is hidden (README "Disclosure control", step 1).
    Read by int_public_groups, int_public_hidden_pass_0 and fct_kpi_scorecard_public.
    One row per organisation per period per KPI per breakdown.
*/

with

scorecard as (
    select * from {{ ref('fct_kpi_scorecard') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

-- The categories of each breakdown of a count (any organisation, any period).
breakdown_categories as (
    select distinct
        scorecard.kpi_code,
        scorecard.breakdown_type,
        scorecard.breakdown_value
    from scorecard
    inner join kpis
        on scorecard.kpi_code = kpis.kpi_code
    where scorecard.breakdown_type is not null
        and scorecard.breakdown_value is not null
        and kpis.is_value_a_count
),

-- The period types each breakdown of a count is published for.
breakdown_period_types as (
    select distinct
        scorecard.kpi_code,
        scorecard.breakdown_type,
        scorecard.period_type
    from scorecard
    inner join kpis
        on scorecard.kpi_code = kpis.kpi_code
    where scorecard.breakdown_type is not null
        and kpis.is_value_a_count
),

-- Every category of every breakdown of a headline of a count that has no row: 0.
zero_rows as (
    select
        headlines.org_code,
        headlines.org_level,
        headlines.period_type,
        headlines.period_start,
        headlines.period_end,
        headlines.kpi_code,
        breakdown_categories.breakdown_type,
        breakdown_categories.breakdown_value,
        cast(0 as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        cast(0 as {{ dbt.type_numeric() }}) as value,
        headlines.target_min,
        headlines.target_max,
        cast(null as {{ dbt.type_string() }}) as target_status,
        headlines.as_of_date,
        headlines.months_expected,
        headlines.months_with_return,
        headlines.providers_expected,
        headlines.providers_reporting,
        headlines.is_incomplete,
        headlines.is_provisional,
        true as is_zero_filled
    from scorecard as headlines
    inner join breakdown_period_types
        on headlines.kpi_code = breakdown_period_types.kpi_code
        and headlines.period_type = breakdown_period_types.period_type
    inner join breakdown_categories
        on breakdown_period_types.kpi_code = breakdown_categories.kpi_code
        and breakdown_period_types.breakdown_type = breakdown_categories.breakdown_type
    left join scorecard as published
        on headlines.org_code = published.org_code
        and headlines.period_type = published.period_type
        and headlines.period_start = published.period_start
        and headlines.kpi_code = published.kpi_code
        and breakdown_categories.breakdown_type = published.breakdown_type
        and breakdown_categories.breakdown_value = published.breakdown_value
    where headlines.breakdown_type is null
        and published.org_code is null
),

zero_filled as (
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
        target_status,
        as_of_date,
        months_expected,
        months_with_return,
        providers_expected,
        providers_reporting,
        is_incomplete,
        is_provisional,
        false as is_zero_filled
    from scorecard
    union all
    select * from zero_rows
),

counts_classified as (
    select
        zero_filled.*,
        kpis.unit,
        kpis.public_value,
        coalesce(kpis.is_numerator_a_count, false) as is_numerator_a_count,
        coalesce(kpis.is_denominator_a_count, false) as is_denominator_a_count,
        coalesce(kpis.is_value_a_count, false) as is_value_a_count
    from zero_filled
    left join kpis
        on zero_filled.kpi_code = kpis.kpi_code
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
)

select * from flagged
