with

source as (
    select * from {{ source('provider_returns', 'staff') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        employment_specialist_id,
        month as staff_month,
        cast(month || '-01' as date) as month_start_date,
        cast(wte as decimal(4, 3)) as wte,
        role,
        {{ lineage_columns() }}
    from source
)

select * from renamed
