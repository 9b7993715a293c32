with

source as (
    select * from {{ source('commissioner_returns', 'commissioning') }}
    where not _is_superseded
),

renamed as (
    select
        cast(financial_year as integer) as financial_year,
        la_code,
        comprehensive_range,
        multi_agency_forum,
        primary_care_onsite_2_sessions,
        primary_care_gp_response_5_days,
        primary_care_gp_joint_working,
        primary_care_therapist_joint_working,
        primary_care_employer_contact,
        primary_care_benefits_advice,
        nhs_trust_code,
        cast(nhs_new_recruits as integer) as nhs_new_recruits,
        cast(nhs_recruits_declaring_mh_condition as integer) as nhs_recruits_declaring_mh_condition,
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
