{#
    kpi_population_rollup(population_relation)

    Turn per-period KPI populations into scorecard rows for every provider, ICB,
    NHS England region and England, per month, quarter and financial year. Use it
    for KPIs whose population is defined per period ("open on some day of the period", "open on the period
    end", "distinct referrals in the period"): unlike kpi_rollup, which places dated
    events in every period containing the date, the rows here are already placed in
    their period, because a quarter's or a year's population is not the sum of its
    months'. Each row carries provider_code, period_type, period_start, period_end,
    kpi_code, breakdown_type, breakdown_value, numerator and denominator (null for a
    plain count), typically one row per member of the population.
    Each ICB, region and England is computed from its own providers' rows (sums of
    numerators and denominators, through int_org_membership), never averaged from
    providers. Headline rows (breakdown_type null) are zero-filled
    over the reporting scaffold (int_provider_periods), so an empty population gives
    numerator 0, denominator 0 and a null rate; a rate with a zero denominator is null.
    Arguments:
        population_relation: a relation with the columns above.
    Returns the same columns as kpi_rollup: org_code, org_level, period_type,
    period_start, period_end, kpi_code, breakdown_type, breakdown_value, numerator,
    denominator, value.
#}
{% macro kpi_population_rollup(population_relation) -%}
with

population as (
    select * from {{ population_relation }}
),

{{ kpi_rows_from_population('population') }}
{%- endmacro %}

{#
    kpi_rows_from_population(population_cte)

    The shared second half of kpi_rollup and kpi_population_rollup: CTEs (continuing
    an open WITH clause) and the final select that keep a population already placed in
    periods to the reporting scaffold (a provider's rows outside its reporting window
    are left out of the provider and its ICB, region and England alike), sum it per
    provider and then by organisation at every level (int_org_membership), zero-fill
    headline rows over the scaffold and compute value (null for a zero denominator).
    Arguments:
        population_cte: name of a CTE with provider_code, period_type, period_start,
            period_end, kpi_code, breakdown_type, breakdown_value, numerator, denominator.
#}
{% macro kpi_rows_from_population(population_cte) -%}
scaffold as (
    select * from {{ ref('int_provider_periods') }}
),

population_in_scaffold as (
    -- A provider's rows count only in its scaffold periods (its reporting window), so
    -- its ICB, region and England, summed from the same rows, always equal the sum of
    -- their providers. They are summed per provider here, once, so the spread over the
    -- levels below joins one row per provider, period, KPI and breakdown, not one per
    -- member of the population (the sums are the same: every figure is additive).
    select
        {{ population_cte }}.provider_code,
        {{ population_cte }}.period_type,
        {{ population_cte }}.period_start,
        {{ population_cte }}.period_end,
        {{ population_cte }}.kpi_code,
        {{ population_cte }}.breakdown_type,
        {{ population_cte }}.breakdown_value,
        sum({{ population_cte }}.numerator) as numerator,
        sum({{ population_cte }}.denominator) as denominator
    from {{ population_cte }}
    inner join scaffold
        on {{ population_cte }}.provider_code = scaffold.org_code
        and {{ population_cte }}.period_type = scaffold.period_type
        and {{ population_cte }}.period_start = scaffold.period_start
    group by 1, 2, 3, 4, 5, 6, 7
),

memberships as (
    select * from {{ ref('int_org_membership') }}
),

sum_by_org as (
    -- Every level (provider, ICB, region, England) sums its own providers' rows through
    -- int_org_membership: never an average, never a sum of the level below's figures.
    select
        memberships.org_code,
        memberships.org_level,
        population_in_scaffold.period_type,
        population_in_scaffold.period_start,
        population_in_scaffold.period_end,
        population_in_scaffold.kpi_code,
        population_in_scaffold.breakdown_type,
        population_in_scaffold.breakdown_value,
        sum(population_in_scaffold.numerator) as numerator,
        sum(population_in_scaffold.denominator) as denominator
    from population_in_scaffold
    inner join memberships
        on population_in_scaffold.provider_code = memberships.provider_code
    group by 1, 2, 3, 4, 5, 6, 7, 8
),

classify_kpis as (
    select
        kpi_code,
        max(case when denominator is not null then 1 else 0 end) as is_ratio
    from {{ population_cte }}
    where breakdown_type is null
    group by kpi_code
),

build_headline_scaffold as (
    select
        scaffold.org_code,
        scaffold.org_level,
        scaffold.period_type,
        scaffold.period_start,
        scaffold.period_end,
        classify_kpis.kpi_code,
        classify_kpis.is_ratio
    from scaffold
    cross join classify_kpis
),

fill_headlines as (
    select
        build_headline_scaffold.org_code,
        build_headline_scaffold.org_level,
        build_headline_scaffold.period_type,
        build_headline_scaffold.period_start,
        build_headline_scaffold.period_end,
        build_headline_scaffold.kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        coalesce(sum_by_org.numerator, 0) as numerator,
        case
            when build_headline_scaffold.is_ratio = 1 then coalesce(sum_by_org.denominator, 0)
        end as denominator
    from build_headline_scaffold
    left join sum_by_org
        on build_headline_scaffold.org_code = sum_by_org.org_code
        and build_headline_scaffold.org_level = sum_by_org.org_level
        and build_headline_scaffold.period_type = sum_by_org.period_type
        and build_headline_scaffold.period_start = sum_by_org.period_start
        and build_headline_scaffold.kpi_code = sum_by_org.kpi_code
        and sum_by_org.breakdown_type is null
),

select_breakdowns as (
    select * from sum_by_org
    where breakdown_type is not null
),

union_rows as (
    select * from fill_headlines
    union all
    select * from select_breakdowns
)

select
    org_code,
    org_level,
    period_type,
    period_start,
    period_end,
    kpi_code,
    breakdown_type,
    breakdown_value,
    cast(numerator as {{ dbt.type_numeric() }}) as numerator,
    cast(denominator as {{ dbt.type_numeric() }}) as denominator,
    cast(
        case
            when denominator is null then numerator
            when denominator = 0 then null
            else cast(numerator as {{ dbt.type_numeric() }}) / denominator
        end as {{ dbt.type_numeric() }}
    ) as value
from union_rows
{%- endmacro %}
