with

source as (
    select * from {{ source('provider_returns', 'fidelity_reviews') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        review_id,
        cast(review_date as date) as review_date,
        review_type,
        cast(item_01 as integer) as item_01,
        cast(item_02 as integer) as item_02,
        cast(item_03 as integer) as item_03,
        cast(item_04 as integer) as item_04,
        cast(item_05 as integer) as item_05,
        cast(item_06 as integer) as item_06,
        cast(item_07 as integer) as item_07,
        cast(item_08 as integer) as item_08,
        cast(item_09 as integer) as item_09,
        cast(item_10 as integer) as item_10,
        cast(item_11 as integer) as item_11,
        cast(item_12 as integer) as item_12,
        cast(item_13 as integer) as item_13,
        cast(item_14 as integer) as item_14,
        cast(item_15 as integer) as item_15,
        cast(item_16 as integer) as item_16,
        cast(item_17 as integer) as item_17,
        cast(item_18 as integer) as item_18,
        cast(item_19 as integer) as item_19,
        cast(item_20 as integer) as item_20,
        cast(item_21 as integer) as item_21,
        cast(item_22 as integer) as item_22,
        cast(item_23 as integer) as item_23,
        cast(item_24 as integer) as item_24,
        cast(item_25 as integer) as item_25,
        {{ lineage_columns() }}
    from source
)

select * from renamed
