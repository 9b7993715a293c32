/*
    The 13-week and 26-week sustainment dates of every referral with a new job
    (kpi-catalogue.md, Sustainment; IPSG "Number of people who sustain employment").
    The clock starts at the first day in work and adds one for each day in work; a
    break (consecutive days not in work between two days in work) of fewer than 42
    days pauses it, a break of 42 days or more resets it to zero and counting starts
    again at the next day in work. The sustainment date is the day the clock reaches
    91 (13 weeks) or 182 (26 weeks). Days in work come from int_jobs_merged_into_spells
    (overlapping jobs counted once; open jobs accrue up to the as-of date only), so
    every date here is on or before the as-of date.
    Steps:
    1. The break before each spell: the days not in work between the previous spell's
       last day and this spell's first day (first - previous last - 1).
    2. A spell starts a new clock run when it is the referral's first spell or follows
       a break of 42 days or more; a shorter break keeps the run (the clock pauses).
    3. Number the runs with a running sum of those starts.
    4. The clock before each spell: days in work in the earlier spells of its run; the
       clock after it adds the spell's own days.
    5. A spell takes the clock to N (91 or 182) when clock_before < N <= clock_after,
       on day spell_start_date + (N - clock_before - 1).
    6. Per referral, the earliest such date for each duration, so a referral counts at
       most once for each duration even when a later run reaches N again.
*/
with

spells as (
    select * from {{ ref('int_jobs_merged_into_spells') }}
),

find_previous_spell_end as (
    select
        provider_code,
        referral_id,
        spell_number,
        spell_start_date,
        spell_end_date,
        days_in_work,
        lag(spell_end_date) over (
            partition by provider_code, referral_id
            order by spell_number
        ) as previous_spell_end_date
    from spells
),

measure_breaks as (
    select
        provider_code,
        referral_id,
        spell_number,
        spell_start_date,
        days_in_work,
        case
            when previous_spell_end_date is not null
                then {{ dbt.datediff('previous_spell_end_date', 'spell_start_date', 'day') }} - 1
        end as break_days_before_spell
    from find_previous_spell_end
),

flag_clock_resets as (
    select
        provider_code,
        referral_id,
        spell_number,
        spell_start_date,
        days_in_work,
        case
            when break_days_before_spell is null then 1
            when break_days_before_spell >= 42 then 1
            else 0
        end as starts_new_clock_run
    from measure_breaks
),

number_clock_runs as (
    select
        provider_code,
        referral_id,
        spell_number,
        spell_start_date,
        days_in_work,
        sum(starts_new_clock_run) over (
            partition by provider_code, referral_id
            order by spell_number
            rows between unbounded preceding and current row
        ) as clock_run_number
    from flag_clock_resets
),

accumulate_clock as (
    select
        provider_code,
        referral_id,
        spell_number,
        spell_start_date,
        days_in_work,
        coalesce(
            sum(days_in_work) over (
                partition by provider_code, referral_id, clock_run_number
                order by spell_number
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as clock_before_spell
    from number_clock_runs
),

date_milestones as (
    select
        provider_code,
        referral_id,
        spell_start_date,
        case
            when clock_before_spell < 91 and clock_before_spell + days_in_work >= 91
                then {{ dbt.dateadd('day', '91 - clock_before_spell - 1', 'spell_start_date') }}
        end as reached_13w_date,
        case
            when clock_before_spell < 182 and clock_before_spell + days_in_work >= 182
                then {{ dbt.dateadd('day', '182 - clock_before_spell - 1', 'spell_start_date') }}
        end as reached_26w_date
    from accumulate_clock
),

keep_first_milestone_per_referral as (
    select
        provider_code,
        referral_id,
        min(spell_start_date) as first_new_job_start_date,
        min(reached_13w_date) as sustained_13w_date,
        min(reached_26w_date) as sustained_26w_date
    from date_milestones
    group by
        provider_code,
        referral_id
),

final as (
    select
        provider_code,
        referral_id,
        cast(first_new_job_start_date as date) as first_new_job_start_date,
        cast(sustained_13w_date as date) as sustained_13w_date,
        cast(sustained_26w_date as date) as sustained_26w_date
    from keep_first_milestone_per_referral
)

select * from final
