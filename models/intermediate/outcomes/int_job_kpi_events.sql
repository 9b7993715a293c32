/*
    Section D outcome events that fall on one date (kpi-catalogue.md, "D - outcomes"),
    one row per record per KPI and breakdown it counts towards, summed into periods
    by kpi_rollup (int_job_kpis_rolled_up). KPIs over a per-period population
    (employment_rate_out_of_work, care-plan rates, education_starts) are in
    int_outcome_kpi_populations instead.
    Steps:
    1. Job starts, dated by start_date (new jobs only: a retained job is never a job
       start; second and third jobs count): job_starts with the hours_band (lt_5 < 5 h,
       5_16 5-16 h, gt_16 > 16 h) and contract_type breakdowns; temporary_job_rate
       (temporary / job starts); avg_hours_per_week (mean over job starts with known
       hours); self_employment and self_employed_hmrc_rate (is_hmrc_registered among
       self-employment starts); below_minimum_wage_rate (pay below the adult minimum
       wage in force on start_date / job starts with known pay).
    2. people_into_work: a referral once, on its first new job's start_date.
    3. Sustainment (int_sustainment_dates): sustained_13w / sustained_26w dated by the
       sustainment date; sustained_13w_rate dated by the first new job's start_date,
       over people into work whose first new job started at least 91 days before the
       as-of date, numerator those that reached 13 weeks by the as-of date.
    4. Retention (accepted referrals employed at referral, is_employed_at_referral, code 01 in staging):
       employed_at_referral by employed_detail, dated by referral_date;
       retention_closures by retention_outcome and retention_success_rate (outcome
       other than not_in_work; an unknown outcome is not a success), dated by
       closure_date.
    5. Nothing is counted after the as-of date.
*/
with

jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_new_job
),

sustainment as (
    select * from {{ ref('int_sustainment_dates') }}
),

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

select_sustainment_rate_population as (
    select
        sustainment.provider_code,
        sustainment.referral_id,
        sustainment.first_new_job_start_date,
        case
            when sustainment.sustained_13w_date <= as_of.as_of_date then 1
            else 0
        end as has_sustained_13w
    from sustainment
    cross join as_of
    where {{ dbt.datediff('sustainment.first_new_job_start_date', 'as_of.as_of_date', 'day') }} >= 91
),

select_clients_employed_at_referral as (
    select
        provider_code,
        referral_id,
        referral_date,
        closure_date,
        employed_detail,
        retention_outcome
    from referrals
    where is_accepted
        and is_employed_at_referral
),

union_events as (
    select
        provider_code,
        referral_id,
        cast(job_id as {{ dbt.type_string() }}) as job_id,
        'job_starts' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        start_date as event_date,
        cast(1 as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator
    from jobs
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'job_starts' as kpi_code,
        'hours_band' as breakdown_type,
        case
            when hours_per_week < 5 then 'lt_5'
            when hours_per_week <= 16 then '5_16'
            when hours_per_week > 16 then 'gt_16'
            else 'unknown'
        end as breakdown_value,
        start_date as event_date,
        1 as numerator,
        null as denominator
    from jobs
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'job_starts' as kpi_code,
        'contract_type' as breakdown_type,
        coalesce(contract_type, 'unknown') as breakdown_value,
        start_date as event_date,
        1 as numerator,
        null as denominator
    from jobs
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'temporary_job_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        case when contract_type = 'temporary' then 1 else 0 end as numerator,
        1 as denominator
    from jobs
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'people_into_work' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        1 as numerator,
        null as denominator
    from jobs
    where is_first_new_job
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'avg_hours_per_week' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        hours_per_week as numerator,
        1 as denominator
    from jobs
    where hours_per_week is not null
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'self_employment' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        1 as numerator,
        null as denominator
    from jobs
    where contract_type = 'self_employed'
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'self_employed_hmrc_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        case when is_hmrc_registered then 1 else 0 end as numerator,
        1 as denominator
    from jobs
    where contract_type = 'self_employed'
    union all
    select
        provider_code,
        referral_id,
        job_id,
        'below_minimum_wage_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        case when is_below_minimum_wage then 1 else 0 end as numerator,
        1 as denominator
    from jobs
    where is_below_minimum_wage is not null
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'sustained_13w' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        sustained_13w_date as event_date,
        1 as numerator,
        null as denominator
    from sustainment
    where sustained_13w_date is not null
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'sustained_26w' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        sustained_26w_date as event_date,
        1 as numerator,
        null as denominator
    from sustainment
    where sustained_26w_date is not null
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'sustained_13w_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        first_new_job_start_date as event_date,
        has_sustained_13w as numerator,
        1 as denominator
    from select_sustainment_rate_population
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'employed_at_referral' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from select_clients_employed_at_referral
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'employed_at_referral' as kpi_code,
        'employed_detail' as breakdown_type,
        coalesce(employed_detail, 'unknown') as breakdown_value,
        referral_date as event_date,
        1 as numerator,
        null as denominator
    from select_clients_employed_at_referral
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'retention_closures' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        closure_date as event_date,
        1 as numerator,
        null as denominator
    from select_clients_employed_at_referral
    where closure_date is not null
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'retention_closures' as kpi_code,
        'retention_outcome' as breakdown_type,
        coalesce(retention_outcome, 'unknown') as breakdown_value,
        closure_date as event_date,
        1 as numerator,
        null as denominator
    from select_clients_employed_at_referral
    where closure_date is not null
    union all
    select
        provider_code,
        referral_id,
        null as job_id,
        'retention_success_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        closure_date as event_date,
        case
            when retention_outcome is not null and retention_outcome <> 'not_in_work' then 1
            else 0
        end as numerator,
        1 as denominator
    from select_clients_employed_at_referral
    where closure_date is not null
),

final as (
    select
        union_events.provider_code,
        union_events.referral_id,
        union_events.job_id,
        union_events.kpi_code,
        union_events.breakdown_type,
        union_events.breakdown_value,
        cast(union_events.event_date as date) as event_date,
        union_events.numerator,
        union_events.denominator
    from union_events
    cross join as_of
    where union_events.event_date <= as_of.as_of_date
)

select * from final
