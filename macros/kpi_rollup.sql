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

events_in_periods as (
    select
        kpi_events.provider_code,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        kpi_events.kpi_code,
        kpi_events.breakdown_type,
        kpi_events.breakdown_value,
        kpi_events.numerator,
        kpi_events.denominator
    from kpi_events
    inner join periods
        on kpi_events.event_date between periods.period_start and periods.period_effective_end
),

{{ kpi_rows_from_population('events_in_periods') }}
{%- endmacro %}
