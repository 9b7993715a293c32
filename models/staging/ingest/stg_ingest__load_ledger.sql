with

source as (
    select * from {{ source('ingest', 'load_ledger') }}
),

renamed as (
    select
        load_id,
        source as source_name,
        return_id,
        provider_code,
        return_month,
        status as load_status,
        superseded_by as superseded_by_load_id,
        rows_loaded,
        rows_rejected,
        message as load_message,
        loaded_at
    from source
)

select * from renamed
