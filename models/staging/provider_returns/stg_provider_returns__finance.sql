with

source as (
    select * from {{ source('provider_returns', 'finance') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        cast(financial_year as integer) as financial_year,
        component,
        cast(contract_value_gbp as decimal(14, 2)) as contract_value_gbp,
        {{ lineage_columns() }}
    from source
)

select * from renamed
