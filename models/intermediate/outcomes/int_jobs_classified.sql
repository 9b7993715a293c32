/*
    Every counted job with the flags the outcome KPIs need (kpi-catalogue.md).
    Steps:
    1. A qualifying job has has_worked_4_hours (staging's boolean of worked_4_hours);
       a new job is a qualifying job that is not is_retained (a retained job is never
       a job start).
    2. The adult national minimum wage in force on the job's start_date: the
       ref_national_minimum_wage row with the latest effective_from on or before it
       (a rate applies from its effective_from until the day before the next one).
       is_below_minimum_wage is null when the pay or the rate is unknown.
    3. A referral's first new job is its earliest-starting new job (ties broken by
       job_id), which makes the referral a person into work.
*/
with

jobs as (
    select * from {{ ref('int_jobs_latest') }}
),

minimum_wage_rates as (
    select * from {{ ref('ref_national_minimum_wage') }}
),

flag_new_jobs as (
    select
        provider_code,
        job_id,
        referral_id,
        start_date,
        end_date,
        hours_per_week,
        contract_type,
        hourly_pay_gbp,
        is_hmrc_registered,
        has_worked_4_hours as is_qualifying_job,
        has_worked_4_hours and not is_retained as is_new_job
    from jobs
),

bound_minimum_wage_rates as (
    select
        effective_from,
        lead(effective_from) over (order by effective_from) as next_effective_from,
        hourly_rate_gbp
    from minimum_wage_rates
),

compare_pay_with_minimum_wage as (
    select
        flag_new_jobs.*,
        bound_minimum_wage_rates.hourly_rate_gbp as adult_minimum_wage_gbp,
        case
            when flag_new_jobs.hourly_pay_gbp is null then null
            when bound_minimum_wage_rates.hourly_rate_gbp is null then null
            else flag_new_jobs.hourly_pay_gbp < bound_minimum_wage_rates.hourly_rate_gbp
        end as is_below_minimum_wage
    from flag_new_jobs
    left join bound_minimum_wage_rates
        on flag_new_jobs.start_date >= bound_minimum_wage_rates.effective_from
        and (
            bound_minimum_wage_rates.next_effective_from is null
            or flag_new_jobs.start_date < bound_minimum_wage_rates.next_effective_from
        )
),

rank_new_jobs as (
    select
        *,
        case
            when is_new_job then row_number() over (
                    partition by provider_code, referral_id, is_new_job
                    order by start_date, job_id
                )
        end as new_job_sequence
    from compare_pay_with_minimum_wage
),

final as (
    select
        *,
        coalesce(new_job_sequence = 1, false) as is_first_new_job
    from rank_new_jobs
)

select * from final
