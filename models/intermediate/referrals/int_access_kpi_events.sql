/*
    NHS England's IPS dashboard measures as dated events: one row per referral per KPI
    (and breakdown) it counts towards, dated by the day that puts it in a period
    (kpi-catalogue.md "NHS England's measures"), from each referral's journey
    (int_referral_journeys: access, waits, time in service, work at discharge and
    their bands); int_access_kpis_rolled_up rolls them up with kpi_rollup.
    Steps:
    1. referrals_accessed: each accessed referral, dated by its access date; a
       referral carried over into the return (received before its provider's first
       reporting month, int_referral_journeys) has no known access date and counts
       instead in referrals_accessed_carried_over, dated by its first reported direct
       client contact, so the referrals left out of access, the wait and the time in
       service from access are counted where a user sees them.
    2. employed_at_discharge_rate: each closed referral, dated by closure_date,
       numerator 1 when it was in work at discharge.
    3. Shares by band, each over its population: a headline row (1 over 1) per member
       and one row per band (1 in the member's band, 0 in the others, over 1), so a
       band's value is its share of the population and the bands add up to the
       headline: first_contact_wait (wait_band) over the accessed referrals (so not the
       carried-over ones), dated by the access date; time_in_service_from_referral
       (service_band_from_referral) over the closed referrals, carried-over ones
       included (their referral_date is known), time_in_service_from_access
       (service_band_from_access) over the closed referrals accessed on or before
       closure (so not the carried-over ones), and hours_at_discharge
       (discharge_hours_band) over the closed referrals in work at discharge with hours
       known, dated by closure_date.
    4. Breakdowns of counts: referral_source_group, each referral received, dated by
       referral_date, by NHS England's referral-source group; contacts_by_medium,
       each recorded contact (int_contacts_latest), dated by contact_date, by the
       contract's contact_type (client_face_to_face, client_remote,
       employer_face_to_face, employer_remote, clinical_team, jobcentre).
    5. profile_completeness: each accepted referral received (int_referrals_profiled),
       dated by referral_date, once per profile field (profile_field breakdown: 1 when
       the field is known, over 1) and once in the headline (1 when every field is
       known). Unknown is missing or the contract's not-known code: age_at_referral
       missing; gender X; ethnic_category Z, 99 or not in the NHS list;
       highest_qualification, last_paid_work, benefit and living_situation unknown;
       employment_status ZZ; held_job_12m_plus and in_secondary_mh_care U.
    6. referrals_accessed_in_year (MHS116-style, financial years only): each referral
       with at least one direct client contact (as access: client_face_to_face or
       client_remote, on or after referral_date) in a financial year, once per year,
       dated by its first such contact of the year, whenever it was referred (a case
       carried over from an earlier year, or into the return, counts in every year it
       is seen: any contact in the year is enough, so an unknown first contact does
       not matter); int_access_kpis_rolled_up keeps its financial-year rows only.
*/
{%- set profile_fields = [
    ('age', "referrals.age_band <> 'not_recorded'"),
    ('gender', "referrals.gender not in ('X', 'not_recorded')"),
    ('ethnic_category', "coalesce(referrals.ethnic_group not in ('Not stated', 'not_recorded'), false)"),
    ('highest_qualification', 'referrals.is_qualification_known'),
    ('employment_status', "referrals.employment_status_recorded not in ('ZZ', 'not_recorded')"),
    ('last_paid_work', "referrals.last_paid_work not in ('unknown', 'not_recorded')"),
    ('held_job_12m_plus', 'referrals.is_held_job_known'),
    ('benefit', 'referrals.is_benefit_known'),
    ('living_situation', "referrals.living_situation not in ('unknown', 'not_recorded')"),
    ('in_secondary_mh_care', 'referrals.is_secondary_care_known'),
] %}
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

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

financial_years as (
    select * from {{ ref('int_periods') }}
    where period_type = 'financial_year'
),

flag_known_fields as (
    select
        {%- for field, known in profile_fields %}
        case when {{ known }} then 1 else 0 end as is_{{ field }}_known,
        {%- endfor %}
        referrals.provider_code,
        referrals.referral_date
    from referrals
    where referrals.is_accepted
),

find_first_direct_contacts_in_years as (
    select
        journeys.provider_code,
        journeys.referral_id,
        financial_years.period_start,
        min(contacts.contact_date) as first_contact_date
    from journeys
    inner join contacts
        on journeys.provider_code = contacts.provider_code
        and journeys.referral_id = contacts.referral_id
    inner join financial_years
        on contacts.contact_date between financial_years.period_start and financial_years.period_effective_end
    where {{ direct_client_contact('contacts', 'journeys') }}
    group by journeys.provider_code, journeys.referral_id, financial_years.period_start
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
        'referrals_accessed_carried_over' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        first_reported_contact_date as event_date,
        1 as numerator,
        null as denominator
    from journeys
    where is_carried_over
        and first_reported_contact_date is not null
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
    union all
    select
        provider_code,
        'referral_source_group' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from journeys
    union all
    select
        provider_code,
        'referral_source_group' as kpi_code,
        'referral_source_group' as breakdown_type,
        referral_source_group as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from journeys
    union all
    select
        provider_code,
        'contacts_by_medium' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        contact_date as event_date,
        1 as numerator,
        null as denominator
    from contacts
    union all
    select
        provider_code,
        'contacts_by_medium' as kpi_code,
        'contact_type' as breakdown_type,
        coalesce(contact_type, 'not_recorded') as breakdown_value,
        contact_date as event_date,
        1 as numerator,
        null as denominator
    from contacts
    union all
    select
        provider_code,
        'profile_completeness' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case
            when {% for field, known in profile_fields %}is_{{ field }}_known{{ ' + ' if not loop.last }}{% endfor %}
                = {{ profile_fields | length }} then 1
            else 0
        end as numerator,
        1 as denominator
    from flag_known_fields
    {%- for field, known in profile_fields %}
    union all
    select
        provider_code,
        'profile_completeness' as kpi_code,
        'profile_field' as breakdown_type,
        '{{ field }}' as breakdown_value,
        referral_date as event_date,
        is_{{ field }}_known as numerator,
        1 as denominator
    from flag_known_fields
    {%- endfor %}
    union all
    select
        provider_code,
        'referrals_accessed_in_year' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        first_contact_date as event_date,
        1 as numerator,
        null as denominator
    from find_first_direct_contacts_in_years
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
