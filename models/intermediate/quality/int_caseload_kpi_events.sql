/*
    Section C dated events (kpi-catalogue.md, "C - quality and fidelity"): one row per
    record per KPI and breakdown it counts towards, dated by the day that puts it in a
    period, for kpi_rollup. record_id is the referral the event comes from.
    Steps:
    1. first_employer_contact_30d_rate: each engaged referral once, dated by its first
       face-to-face competitive employer contact; numerator 1 when the gap from the
       vocational profile is 30 days or fewer, denominator 1.
    2. time_to_first_job: each person into work (a referral's first new job,
       int_jobs_classified.is_first_new_job), dated by that job's start_date, banded by
       days from vocational_profile_date: 0_6m (<= 182), 6_12m (183-365),
       12m_plus (> 365); unknown when there is no vocational profile date.
    3. closed_not_in_work: each referral with a closure_date and closure_reason other
       than in_work (a closure with no reason counts as unknown), dated by
       closure_date, by closure_reason.
    Headline rows (breakdown_type null) are emitted beside the breakdowns, so
    kpi_rollup zero-fills them.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

jobs as (
    select * from {{ ref('int_jobs_classified') }}
),

first_employer_contacts as (
    select * from {{ ref('int_first_employer_contacts') }}
),

time_first_jobs as (
    select
        jobs.provider_code,
        jobs.referral_id,
        jobs.start_date,
        {{ dbt.datediff('referrals.vocational_profile_date', 'jobs.start_date', 'day') }} as days_to_first_job
    from jobs
    inner join referrals
        on jobs.provider_code = referrals.provider_code
        and jobs.referral_id = referrals.referral_id
    where jobs.is_first_new_job
),

band_first_jobs as (
    select
        provider_code,
        referral_id,
        start_date,
        case
            when days_to_first_job is null then 'unknown'
            when days_to_first_job <= 182 then '0_6m'
            when days_to_first_job <= 365 then '6_12m'
            else '12m_plus'
        end as time_band
    from time_first_jobs
),

select_closures_not_in_work as (
    select
        provider_code,
        referral_id,
        closure_date,
        coalesce(closure_reason, 'unknown') as closure_reason
    from referrals
    where closure_date is not null
        and coalesce(closure_reason, 'unknown') <> 'in_work'
),

events_unioned as (
    select
        provider_code,
        referral_id as record_id,
        'first_employer_contact_30d_rate' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        first_employer_contact_date as event_date,
        case when is_within_30_days then 1 else 0 end as numerator,
        1 as denominator
    from first_employer_contacts
    union all
    select
        provider_code,
        referral_id as record_id,
        'time_to_first_job' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        start_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from band_first_jobs
    union all
    select
        provider_code,
        referral_id as record_id,
        'time_to_first_job' as kpi_code,
        'time_band' as breakdown_type,
        time_band as breakdown_value,
        start_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from band_first_jobs
    union all
    select
        provider_code,
        referral_id as record_id,
        'closed_not_in_work' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        closure_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from select_closures_not_in_work
    union all
    select
        provider_code,
        referral_id as record_id,
        'closed_not_in_work' as kpi_code,
        'closure_reason' as breakdown_type,
        closure_reason as breakdown_value,
        closure_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from select_closures_not_in_work
),

final as (
    select
        provider_code,
        record_id,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(event_date as date) as event_date,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator
    from events_unioned
)

select * from final
