with

source as (
    select * from {{ source('provider_returns', 'jobs') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        job_id,
        referral_id,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        worked_4_hours,
        {{ yn_to_boolean('worked_4_hours') }} as has_worked_4_hours,
        cast(hours_per_week as decimal(6, 2)) as hours_per_week,
        contract_type,
        is_retained_job,
        {{ yn_to_boolean('is_retained_job') }} as is_retained,
        placement_scheme,
        sector,
        cast(hourly_pay_gbp as decimal(10, 2)) as hourly_pay_gbp,
        evidence,
        hmrc_registered,
        {{ yn_to_boolean('hmrc_registered') }} as is_hmrc_registered,
        has_business_plan,
        {{ lineage_columns() }}
    from source
)

select * from renamed
