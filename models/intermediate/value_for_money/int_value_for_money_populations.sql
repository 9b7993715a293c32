/*
    Section E value-for-money populations, already placed in their periods (for
    kpi_population_rollup): a year's population is not the sum of its months'.
    Steps:
    1. job_outcomes: job outcomes (int_job_outcomes_listed) dated in the period.
    2. job_outcome_rate: those outcomes (numerator) over referrals accepted and open
       on some day of the period (denominator).
    3. Financial year only, numerators of the per-WTE ratios
       (int_value_for_money_rolled_up divides by the mean monthly ES WTE): active clients (engaged referrals open on
       some day of the year, engaged by its end), job starts (new jobs) and new
       referrals received in the year.
    4. carried_over (financial year only): referrals received before the year started
       and open on its first day.
*/
with

outcomes as (
    select * from {{ ref('int_job_outcomes_listed') }}
),

open_referrals as (
    select * from {{ ref('int_referrals_open_in_periods') }}
),

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

new_jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_new_job
),

periods as (
    select * from {{ ref('int_periods') }}
),

outcomes_in_periods as (
    select
        outcomes.provider_code,
        outcomes.referral_id,
        periods.period_type,
        periods.period_start,
        periods.period_end
    from outcomes
    inner join periods
        on outcomes.outcome_date between periods.period_start and periods.period_effective_end
),

open_in_periods as (
    select
        open_referrals.provider_code,
        open_referrals.referral_id,
        open_referrals.period_type,
        open_referrals.period_start,
        open_referrals.period_end,
        open_referrals.period_effective_end,
        referrals.vocational_profile_date,
        referrals.referral_date
    from open_referrals
    inner join referrals
        on open_referrals.provider_code = referrals.provider_code
        and open_referrals.referral_id = referrals.referral_id
),

financial_years as (
    select * from periods
    where period_type = 'financial_year'
),

job_starts_in_years as (
    select
        new_jobs.provider_code,
        financial_years.period_type,
        financial_years.period_start,
        financial_years.period_end
    from new_jobs
    inner join financial_years
        on new_jobs.start_date between financial_years.period_start and financial_years.period_effective_end
),

referrals_received_in_years as (
    select
        referrals.provider_code,
        financial_years.period_type,
        financial_years.period_start,
        financial_years.period_end
    from referrals
    inner join financial_years
        on referrals.referral_date between financial_years.period_start and financial_years.period_effective_end
),

population_unioned as (
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'job_outcomes' as kpi_code,
        1 as numerator,
        cast(null as integer) as denominator
    from outcomes_in_periods
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'job_outcome_rate' as kpi_code,
        1 as numerator,
        0 as denominator
    from outcomes_in_periods
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'job_outcome_rate' as kpi_code,
        0 as numerator,
        1 as denominator
    from open_in_periods
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'active_clients_per_wte' as kpi_code,
        1 as numerator,
        null as denominator
    from open_in_periods
    where period_type = 'financial_year'
        and vocational_profile_date <= period_effective_end
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'carried_over' as kpi_code,
        1 as numerator,
        null as denominator
    from open_in_periods
    where period_type = 'financial_year'
        and referral_date < period_start
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'job_starts_per_wte' as kpi_code,
        1 as numerator,
        null as denominator
    from job_starts_in_years
    union all
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        'new_referrals_per_wte' as kpi_code,
        1 as numerator,
        null as denominator
    from referrals_received_in_years
),

final as (
    select
        provider_code,
        period_type,
        period_start,
        period_end,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        numerator,
        denominator
    from population_unioned
)

select * from final
