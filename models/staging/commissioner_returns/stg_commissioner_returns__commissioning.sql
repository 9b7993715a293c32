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
        {{ yn_to_boolean('comprehensive_range') }} as is_comprehensive_range_met,
        multi_agency_forum,
        {{ yn_to_boolean('multi_agency_forum') }} as is_multi_agency_forum_met,
        primary_care_onsite_2_sessions,
        {{ yn_to_boolean('primary_care_onsite_2_sessions') }} as is_primary_care_onsite_2_sessions_met,
        primary_care_gp_response_5_days,
        {{ yn_to_boolean('primary_care_gp_response_5_days') }} as is_primary_care_gp_response_5_days_met,
        primary_care_gp_joint_working,
        {{ yn_to_boolean('primary_care_gp_joint_working') }} as is_primary_care_gp_joint_working_met,
        primary_care_therapist_joint_working,
        {{ yn_to_boolean('primary_care_therapist_joint_working') }} as is_primary_care_therapist_joint_working_met,
        primary_care_employer_contact,
        {{ yn_to_boolean('primary_care_employer_contact') }} as is_primary_care_employer_contact_met,
        primary_care_benefits_advice,
        {{ yn_to_boolean('primary_care_benefits_advice') }} as is_primary_care_benefits_advice_met,
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
