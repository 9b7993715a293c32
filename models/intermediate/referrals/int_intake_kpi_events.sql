/*
    Section B intake events: one row per referral per KPI (and breakdown) it counts
    towards, dated by the day that puts it in a period (kpi-catalogue.md "B - intake").
    Steps:
    1. Referral counts and rates dated by referral_date: received, accepted,
       acceptance_rate, not accepted by reason, share from secondary care.
    2. referrals_engaged dated by vocational_profile_date (accepted and engaged).
    3. The intake profile of accepted referrals (one row per breakdown category;
       int_intake_kpis_rolled_up turns the counts into shares of accepted referrals)
       and the over-known rates, where unknown answers leave the denominator.
*/
{%- set profile_breakdowns = [
    'age_band', 'gender', 'ethnic_group', 'highest_qualification',
    'employment_status_recorded', 'last_paid_work', 'benefit', 'living_situation',
] %}
{%- set known_rates = [
    ('employed_at_referral_rate', 'is_employed_at_referral', 'true'),
    ('nvq2_plus_rate', 'is_level_2_plus', 'is_qualification_known'),
    ('held_job_12m_plus_rate', 'has_held_job_12m_plus', 'is_held_job_known'),
    ('long_term_benefit_rate', 'is_long_term_benefit', 'is_benefit_known'),
    ('in_secondary_mh_care_rate', 'is_in_secondary_mh_care', 'is_secondary_care_known'),
] %}
with

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

accepted as (
    select * from referrals
    where is_accepted
),

events_unioned as (
    select
        provider_code,
        'referrals_received' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from referrals
    union all
    select
        provider_code,
        'referrals_accepted' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case when is_accepted then 1 else 0 end as numerator,
        null as denominator
    from referrals
    union all
    select
        provider_code,
        'acceptance_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case when is_accepted then 1 else 0 end as numerator,
        1 as denominator
    from referrals
    union all
    select
        provider_code,
        'referrals_not_accepted' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case when is_accepted then 0 else 1 end as numerator,
        null as denominator
    from referrals
    union all
    select
        provider_code,
        'referrals_not_accepted' as kpi_code,
        'rejection_reason' as breakdown_type,
        coalesce(rejection_reason, 'not_recorded') as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from referrals
    where not is_accepted
    union all
    select
        provider_code,
        'referrals_from_secondary_mh_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case when referral_source = 'secondary_mh_team' then 1 else 0 end as numerator,
        1 as denominator
    from referrals
    union all
    select
        provider_code,
        'referrals_engaged' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        vocational_profile_date as event_date,
        1 as numerator,
        null as denominator
    from referrals
    where is_engaged
    union all
    select
        provider_code,
        'intake_profile' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from accepted
    {%- for breakdown in profile_breakdowns %}
    union all
    select
        provider_code,
        'intake_profile' as kpi_code,
        '{{ breakdown | replace("_recorded", "") }}' as breakdown_type,
        {{ breakdown }} as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from accepted
    {%- endfor %}
    {%- for kpi_code, numerator_flag, known_flag in known_rates %}
    union all
    select
        provider_code,
        '{{ kpi_code }}' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        case when {{ known_flag }} and {{ numerator_flag }} then 1 else 0 end as numerator,
        case when {{ known_flag }} then 1 else 0 end as denominator
    from accepted
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
