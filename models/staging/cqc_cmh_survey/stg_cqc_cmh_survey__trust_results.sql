with

source as (
    select * from {{ source('cqc_cmh_survey', 'trust_results') }}
    where not _is_superseded
),

renamed as (
    select
        cast(survey_year as integer) as survey_year,
        trust_code,
        trust_name,
        cast(respondents as integer) as respondent_count,
        answer_column,
        cast(value as {{ dbt.type_float() }}) as answer_percent,
        sheet_name as source_sheet,
        _load_id as load_id,
        _source_file as source_file,
        cast(_row_number as integer) as source_row_number,
        _loaded_at as loaded_at
    from source
),

final as (
    select * from renamed
)

select * from final
