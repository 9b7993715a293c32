/*
    NHS England's IPS dashboard measures as dated events: one row per referral per KPI
    (and breakdown) it counts towards, dated by the day that puts it in a period
    (kpi-catalogue.md "NHS England's measures"), from each referral's journey
    (int_referral_journeys: access, waits, time in service, work at discharge and
    their bands); int_access_kpis_rolled_up rolls them up with kpi_rollup.
    Steps:
    1. referrals_accessed: each accessed referral, dated by its access date.
    2. employed_at_discharge_rate: each closed referral, dated by closure_date,
       numerator 1 when it was in work at discharge.
    3. Shares by band, each over its population: a headline row (1 over 1) per member
       and one row per band (1 in the member's band, 0 in the others, over 1), so a
       band's value is its share of the population and the bands add up to the
       headline: first_contact_wait (wait_band) over the accessed referrals, dated by
       the access date; time_in_service_from_referral (service_band_from_referral)
       over the closed referrals, time_in_service_from_access
       (service_band_from_access) over the closed referrals accessed on or before
       closure, and hours_at_discharge (discharge_hours_band) over the closed
       referrals in work at discharge with hours known, dated by closure_date.
*/
{%- set service_bands = ['0_to_90_days', '91_to_180_days', 'over_180_days'] %}
{%- set share_kpis = [
    ('first_contact_wait', 'wait_band', 'access_date', 'wait_band',
        ['0_to_7_days', '8_to_30_days', 'over_30_days']),
    ('time_in_service_from_referral', 'service_band_from_referral', 'closure_date', 'service_band', service_bands),
    ('time_in_service_from_access', 'service_band_from_access', 'closure_date', 'service_band', service_bands),
    ('hours_at_discharge', 'discharge_hours_band', 'closure_date', 'discharge_hours_band',
        ['30_plus_hours', '16_to_29_hours', '15_or_less_hours']),
] %}
with

journeys as (
    select * from {{ ref('int_referral_journeys') }}
),

events_unioned as (
    select
        provider_code,
        'referrals_accessed' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        access_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from journeys
    where access_date is not null
    union all
    select
        provider_code,
        'employed_at_discharge_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        closure_date as event_date,
        case when is_in_work_at_discharge then 1 else 0 end as numerator,
        1 as denominator
    from journeys
    where closure_date is not null
    {%- for kpi_code, band_column, date_column, breakdown_type, bands in share_kpis %}
    union all
    select
        provider_code,
        '{{ kpi_code }}' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        {{ date_column }} as event_date,
        1 as numerator,
        1 as denominator
    from journeys
    where {{ band_column }} is not null
    {%- for band in bands %}
    union all
    select
        provider_code,
        '{{ kpi_code }}' as kpi_code,
        '{{ breakdown_type }}' as breakdown_type,
        '{{ band }}' as breakdown_value,
        {{ date_column }} as event_date,
        case when {{ band_column }} = '{{ band }}' then 1 else 0 end as numerator,
        1 as denominator
    from journeys
    where {{ band_column }} is not null
    {%- endfor %}
    {%- endfor %}
),

final as (
    select
        provider_code,
        kpi_code,
        breakdown_type,
        breakdown_value,
        event_date,
        numerator,
        denominator
    from events_unioned
)

select * from final
