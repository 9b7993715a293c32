{#
    kpi_rollup(events_relation)

    Turn dated KPI events into scorecard rows for every provider, ICB, NHS England
    region and England, per month, quarter and financial year. Each event row carries
    provider_code, kpi_code, breakdown_type, breakdown_value, event_date, numerator and
    denominator (denominator null for a plain count). Each ICB, region and England is
    computed from its own providers' events (sums of numerators and denominators,
    through int_org_membership), never averaged from providers. Headline rows
    (breakdown_type null) are zero-filled over the reporting scaffold
    (int_provider_periods); a rate with a zero denominator is null.
    Cost: every figure is a sum of numerators and denominators (a KPI that counts
    distinct things, as referrals_accessed_in_year, makes its events distinct first),
    so the events are summed per provider, KPI, breakdown and day before they are
    placed in periods, and per provider and period before they are spread over the
    levels: the same sums, from a few rows per provider and day (national
    contacts_by_medium: 10 M contacts, 0.66 M provider-days) instead of one per event.
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

events_by_day as (
    -- Sums are additive: a provider's day of events is one row per KPI and breakdown
    -- before the join to periods multiplies it (a sum of null numerators stays null).
    select
        provider_code,
        kpi_code,
        breakdown_type,
        breakdown_value,
        event_date,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from kpi_events
    group by 1, 2, 3, 4, 5
),

events_in_periods as (
    select
        events_by_day.provider_code,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        events_by_day.kpi_code,
        events_by_day.breakdown_type,
        events_by_day.breakdown_value,
        events_by_day.numerator,
        events_by_day.denominator
    from events_by_day
    inner join periods
        on events_by_day.event_date between periods.period_start and periods.period_effective_end
),

{{ kpi_rows_from_population('events_in_periods') }}
{%- endmacro %}
