/*
    Each referral's new jobs merged into spells in work: runs of consecutive days on
    which some new job covers the day (kpi-catalogue.md, Sustainment). Overlapping
    jobs and a job starting the day after another ends share a spell, so every day in
    work is counted once. Set-based gaps-and-islands, no day-by-day rows.
    Steps:
    1. Take the new jobs (int_jobs_classified.is_new_job) that start on or before the
       as-of date. A job's last day in work is its end_date; an open job (or one
       ending after the as-of date) runs to the as-of date and no further.
    2. Order each referral's jobs by start_date (then job_id) and find the latest last
       day in work of all earlier jobs. A job starts a new spell when it is the first
       or starts more than one day after that latest last day (a gap of at least one
       day not in work).
    3. Number the spells with a running sum of those starts.
    4. One row per spell: its first and last day in work and the days in work
       (last - first + 1).
*/
with

jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_new_job
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

clip_jobs_to_as_of_date as (
    select
        jobs.provider_code,
        jobs.referral_id,
        jobs.job_id,
        jobs.start_date,
        case
            when jobs.end_date is null then as_of.as_of_date
            when jobs.end_date > as_of.as_of_date then as_of.as_of_date
            else jobs.end_date
        end as last_day_in_work
    from jobs
    cross join as_of
    where jobs.start_date <= as_of.as_of_date
),

find_latest_earlier_last_day as (
    select
        provider_code,
        referral_id,
        job_id,
        start_date,
        last_day_in_work,
        max(last_day_in_work) over (
            partition by provider_code, referral_id
            order by start_date, job_id
            rows between unbounded preceding and 1 preceding
        ) as latest_earlier_last_day
    from clip_jobs_to_as_of_date
),

flag_spell_starts as (
    select
        provider_code,
        referral_id,
        job_id,
        start_date,
        last_day_in_work,
        case
            when latest_earlier_last_day is null then 1
            when {{ dbt.datediff('latest_earlier_last_day', 'start_date', 'day') }} > 1 then 1
            else 0
        end as starts_new_spell
    from find_latest_earlier_last_day
),

number_spells as (
    select
        provider_code,
        referral_id,
        job_id,
        start_date,
        last_day_in_work,
        sum(starts_new_spell) over (
            partition by provider_code, referral_id
            order by start_date, job_id
            rows between unbounded preceding and current row
        ) as spell_number
    from flag_spell_starts
),

aggregate_spells as (
    select
        provider_code,
        referral_id,
        spell_number,
        min(start_date) as spell_start_date,
        max(last_day_in_work) as spell_end_date,
        count(*) as jobs_in_spell
    from number_spells
    group by
        provider_code,
        referral_id,
        spell_number
),

final as (
    select
        provider_code,
        referral_id,
        cast(spell_number as integer) as spell_number,
        cast(spell_start_date as date) as spell_start_date,
        cast(spell_end_date as date) as spell_end_date,
        cast({{ dbt.datediff('spell_start_date', 'spell_end_date', 'day') }} + 1 as integer) as days_in_work,
        cast(jobs_in_spell as integer) as jobs_in_spell
    from aggregate_spells
)

select * from final
