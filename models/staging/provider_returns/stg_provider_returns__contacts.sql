with

source as (
    select * from {{ source('provider_returns', 'contacts') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        contact_id,
        referral_id,
        cast(contact_date as date) as contact_date,
        contact_type,
        employment_specialist_id,
        competitive_job,
        {{ yn_to_boolean('competitive_job') }} as is_competitive_job,
        {{ lineage_columns() }}
    from source
)

select * from renamed
