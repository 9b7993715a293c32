/*
    Job outcomes for value for money (kpi-catalogue.md E, NDTi): a referral gains a
    job on its first new job's start date (a person into work), or a client employed
    at referral keeps or changes work: a closure whose retention_outcome is anything
    other than not_in_work, on the closure date. Nothing after the as-of date.
*/
with

first_new_jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_first_new_job
),

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

jobs_gained as (
    select
        provider_code,
        referral_id,
        'gained_job' as outcome_type,
        start_date as outcome_date
    from first_new_jobs
),

jobs_retained as (
    select
        provider_code,
        referral_id,
        'retained_job' as outcome_type,
        closure_date as outcome_date
    from referrals
    where is_accepted
        and is_employed_at_referral
        and closure_date is not null
        and retention_outcome is not null
        and retention_outcome <> 'not_in_work'
),

outcomes_unioned as (
    select * from jobs_gained
    union all
    select * from jobs_retained
),

final as (
    select
        outcomes_unioned.provider_code,
        outcomes_unioned.referral_id,
        cast(outcomes_unioned.outcome_type as {{ dbt.type_string() }}) as outcome_type,
        outcomes_unioned.outcome_date
    from outcomes_unioned
    cross join as_of
    where outcomes_unioned.outcome_date <= as_of.as_of_date
)

select * from final
