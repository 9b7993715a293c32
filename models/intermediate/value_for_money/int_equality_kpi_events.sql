/*
    Equality of access and outcome events (kpi-catalogue.md E "equality", IPSG
    racial equality), by ethnic group and by gender.
    Steps:
    1. equality_accepted_share: each accepted referral, dated by referral_date, in its
       group (numerator) over all accepted referrals (denominator added in
       int_equality_kpis_rolled_up).
    2. equality_engagement_rate: accepted referrals received in the period in the
       group (denominator) and those of them that engaged (numerator), both dated by
       referral_date so numerator and denominator are the same cohort.
    3. equality_into_work_per_engaged: people into work in the period in the group (numerator,
       dated by the first new job's start) over referrals engaged in the period in the
       group (denominator, dated by vocational_profile_date).
*/
{%- set groups = ['ethnic_group', 'gender'] %}
with

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

first_jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_first_new_job
),

into_work as (
    select
        referrals.*,
        first_jobs.start_date as first_new_job_start_date
    from referrals
    inner join first_jobs
        on referrals.provider_code = first_jobs.provider_code
        and referrals.referral_id = first_jobs.referral_id
),

events_unioned as (
    {%- for group in groups %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        provider_code,
        'equality_accepted_share' as kpi_code,
        '{{ group }}' as breakdown_type,
        {{ group }} as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from referrals
    where is_accepted
    union all
    select
        provider_code,
        'equality_engagement_rate' as kpi_code,
        '{{ group }}' as breakdown_type,
        {{ group }} as breakdown_value,
        referral_date as event_date,
        case when is_engaged then 1 else 0 end as numerator,
        1 as denominator
    from referrals
    where is_accepted
    union all
    select
        provider_code,
        'equality_into_work_per_engaged' as kpi_code,
        '{{ group }}' as breakdown_type,
        {{ group }} as breakdown_value,
        vocational_profile_date as event_date,
        0 as numerator,
        1 as denominator
    from referrals
    where is_engaged
    union all
    select
        provider_code,
        'equality_into_work_per_engaged' as kpi_code,
        '{{ group }}' as breakdown_type,
        {{ group }} as breakdown_value,
        first_new_job_start_date as event_date,
        1 as numerator,
        0 as denominator
    from into_work
    {%- endfor %}
),

final as (
    select
        provider_code,
        kpi_code,
        cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        event_date,
        numerator,
        denominator
    from events_unioned
)

select * from final
