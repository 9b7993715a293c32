with

source as (
    select * from {{ source('nomis_aps', 'observations') }}
    where not _is_superseded
),

renamed as (
    select
        date_code as period_end_month,
        date_name as period_name,
        geography_code,
        geography_name,
        cast(variable_code as integer) as variable_code,
        variable_name,
        cast(measure_code as integer) as measure_code,
        cast(obs_value as {{ dbt.type_float() }}) as observation_value,
        obs_status as observation_status,
        obs_status_name as observation_status_name,
        layout as source_layout,
        _load_id as load_id,
        _source_file as source_file,
        cast(_row_number as integer) as source_row_number,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        period_end_month,
        period_name,
        {{ dbt.last_day("cast(" ~ dbt.concat(["period_end_month", "'-01'"]) ~ " as date)", "month") }}
            as period_end_date,
        geography_code,
        geography_name,
        case
            when geography_code = 'E92000001' then 'country'
            when geography_code like 'E12%' then 'region'
            when geography_code like 'E10%' then 'county'
            when geography_code like 'E06%' then 'unitary_authority'
            when geography_code like 'E07%' then 'district'
            when geography_code like 'E08%' then 'metropolitan_district'
            when geography_code like 'E09%' then 'london_borough'
        end as geography_level,
        variable_code,
        variable_name,
        measure_code,
        case measure_code
            when 20599 then 'value'
            when 21001 then 'numerator'
            when 21002 then 'denominator'
            when 21003 then 'confidence_interval'
        end as measure_type,
        observation_value,
        observation_status,
        observation_status_name,
        coalesce(observation_status in ('!', '*', '~', '-'), false) as is_suppressed,
        source_layout,
        load_id,
        source_file,
        source_row_number,
        loaded_at
    from renamed
)

select * from final
