{#
    kpi_rollup(events_relation)

    Turn dated KPI events into scorecard rows for every provider and England, per
    month, quarter and financial year. Each event row carries provider_code,
    kpi_code, breakdown_type, breakdown_value, event_date, numerator and
    denominator (denominator null for a plain count). England is computed from
    England's events (sums of numerators and denominators), never averaged from
    providers. Headline rows (breakdown_type null) are zero-filled over the
    reporting scaffold (int_provider_periods); a rate with a zero denominator is null.
    Arguments:
        events_relation: a relation with the columns above.
    Returns columns: org_code, org_level, period_type, period_start, period_end,
    kpi_code, breakdown_type, breakdown_value, numerator, denominator, value.
#}
{% macro kpi_rollup(events_relation) -%}
with

kpi_events as (
    select * from {{ events_relation }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

scaffold as (
    select * from {{ ref('int_provider_periods') }}
),

events_in_periods as (
    select
        kpi_events.provider_code,
        kpi_events.kpi_code,
        kpi_events.breakdown_type,
        kpi_events.breakdown_value,
        kpi_events.numerator,
        kpi_events.denominator,
        periods.period_type,
        periods.period_start,
        periods.period_end
    from kpi_events
    inner join periods
        on kpi_events.event_date between periods.period_start and periods.period_end
),

summed_by_org as (
    select
        provider_code as org_code,
        'provider' as org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from events_in_periods
    group by 1, 2, 3, 4, 5, 6, 7, 8
    union all
    select
        'ENG' as org_code,
        'england' as org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from events_in_periods
    group by 1, 2, 3, 4, 5, 6, 7, 8
),

kpi_kinds as (
    select
        kpi_code,
        max(case when denominator is not null then 1 else 0 end) as is_ratio
    from kpi_events
    where breakdown_type is null
    group by kpi_code
),

headline_scaffold as (
    select
        scaffold.org_code,
        scaffold.org_level,
        scaffold.period_type,
        scaffold.period_start,
        scaffold.period_end,
        kpi_kinds.kpi_code,
        kpi_kinds.is_ratio
    from scaffold
    cross join kpi_kinds
),

headline_filled as (
    select
        headline_scaffold.org_code,
        headline_scaffold.org_level,
        headline_scaffold.period_type,
        headline_scaffold.period_start,
        headline_scaffold.period_end,
        headline_scaffold.kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        coalesce(summed_by_org.numerator, 0) as numerator,
        case
            when headline_scaffold.is_ratio = 1 then coalesce(summed_by_org.denominator, 0)
        end as denominator
    from headline_scaffold
    left join summed_by_org
        on headline_scaffold.org_code = summed_by_org.org_code
        and headline_scaffold.period_type = summed_by_org.period_type
        and headline_scaffold.period_start = summed_by_org.period_start
        and headline_scaffold.kpi_code = summed_by_org.kpi_code
        and summed_by_org.breakdown_type is null
),

breakdowns as (
    select * from summed_by_org
    where breakdown_type is not null
),

unioned as (
    select * from headline_filled
    union all
    select * from breakdowns
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
from unioned
{%- endmacro %}
