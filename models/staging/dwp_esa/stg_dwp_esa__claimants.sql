with

source as (
    select * from {{ source('dwp_esa', 'claimants') }}
    where not _is_superseded
),

renamed as (
    select
        date_code as caseload_month,
        date_name as caseload_month_name,
        la_code,
        la_name,
        cast(condition_code as integer) as condition_code,
        condition_name,
        sex,
        age,
        cast(claimants as {{ dbt.type_bigint() }}) as claimant_count,
        layout as source_layout,
        _load_id as load_id,
        _source_file as source_file,
        cast(_row_number as integer) as source_row_number,
        _loaded_at as loaded_at
    from source
),

final as (
    select
        caseload_month,
        caseload_month_name,
        cast({{ dbt.concat(["caseload_month", "'-01'"]) }} as date) as caseload_month_start_date,
        la_code,
        la_name,
        condition_code,
        condition_name,
        coalesce(condition_code = 0, false) as is_all_conditions,
        coalesce(condition_code = 5, false) as is_mental_and_behavioural,
        sex,
        age,
        claimant_count,
        source_layout,
        load_id,
        source_file,
        source_row_number,
        loaded_at
    from renamed
)

select * from final
