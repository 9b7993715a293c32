/*
    Section D job events (kpi-catalogue.md, "D - outcomes"), dated by start_date:
    job_starts counts every new job (second and third jobs count); people_into_work
    counts a referral once, on its first new job; avg_hours_per_week is the mean
    over job starts; job_starts_by_hours bands lt_5 (< 5 h), 5_16 (5-16 h), gt_16 (> 16 h).
*/
with

jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_new_job
),

events_unioned as (
    select
        provider_code,
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
        'avg_hours_per_week' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        start_date as event_date,
        hours_per_week as numerator,
        1 as denominator
    from jobs
    where hours_per_week is not null
),

final as (
    select * from events_unioned
)

select * from final
