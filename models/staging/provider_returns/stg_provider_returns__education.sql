with

source as (
    select * from {{ source('provider_returns', 'education') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        education_id,
        referral_id,
        cast(start_date as date) as start_date,
        setting,
        level as rqf_level,
        {{ lineage_columns() }}
    from source
)

select * from renamed
