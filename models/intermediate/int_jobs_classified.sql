/*
    Every counted job with the flags the outcome KPIs need (kpi-catalogue.md):
    a qualifying job has worked_4_hours = 'Y'; a new job is a qualifying job with
    is_retained_job = 'N'; a referral's first new job is its earliest-starting new
    job (ties broken by job_id), which makes the referral a person into work.
*/
with

jobs as (
    select * from {{ ref('int_jobs_latest') }}
),

flagged as (
    select
        provider_code,
        job_id,
        referral_id,
        start_date,
        end_date,
        hours_per_week,
        contract_type,
        hourly_pay_gbp,
        hmrc_registered,
        worked_4_hours = 'Y' as is_qualifying_job,
        worked_4_hours = 'Y' and is_retained_job = 'N' as is_new_job
    from jobs
),

ranked as (
    select
        *,
        case
            when is_new_job
                then row_number() over (
                    partition by provider_code, referral_id, is_new_job
                    order by start_date, job_id
                )
        end as new_job_sequence
    from flagged
),

final as (
    select
        *,
        coalesce(new_job_sequence = 1, false) as is_first_new_job
    from ranked
)

select * from final
