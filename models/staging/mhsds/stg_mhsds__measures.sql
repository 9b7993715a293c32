with

source as (
    select * from {{ source('mhsds', 'measures') }}
    where not _is_superseded
),

renamed as (
    select
        cast(reporting_period_start as date) as reporting_period_start_date,
        cast(reporting_period_end as date) as reporting_period_end_date,
        status as publication_status,
        breakdown,
        primary_level as primary_level_code,
        primary_level_description as primary_level_name,
        secondary_level as secondary_level_raw,
        secondary_level_description as secondary_level_name_raw,
        measure_id,
        measure_name,
        measure_value as measure_value_text,
        cast(measure_value_number as {{ dbt.type_float() }}) as measure_value,
        _load_id as load_id,
        _source_file as source_file,
        cast(_row_number as integer) as source_row_number,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        reporting_period_start_date,
        reporting_period_end_date,
        publication_status,
        breakdown,
        primary_level_code,
        primary_level_name,
        case when secondary_level_raw <> 'NONE' then secondary_level_raw end as secondary_level_code,
        case
            when secondary_level_raw <> 'NONE' then secondary_level_name_raw
        end as secondary_level_name,
        measure_id,
        measure_name,
        measure_value_text,
        measure_value,
        coalesce(measure_value_text = '*', false) as is_suppressed,
        load_id,
        source_file,
        source_row_number,
        loaded_at
    from renamed
)

select * from final
