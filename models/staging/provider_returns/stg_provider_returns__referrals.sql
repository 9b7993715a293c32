with

source as (
    select * from {{ source('provider_returns', 'referrals') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        referral_id,
        client_id,
        team_code,
        team_type,
        cast(referral_date as date) as referral_date,
        referral_source,
        in_secondary_mh_care,
        {{ yn_to_boolean('in_secondary_mh_care') }} as is_in_secondary_mh_care,
        accepted,
        {{ yn_to_boolean('accepted') }} as is_accepted,
        rejection_reason,
        cast(vocational_profile_date as date) as vocational_profile_date,
        cast(age_at_referral as integer) as age_at_referral,
        gender,
        ethnic_category,
        highest_qualification,
        employment_status,
        -- the catalogue's convention: employed at referral is code 01; any other code
        -- or none recorded is not employed
        coalesce(employment_status = '01', false) as is_employed_at_referral,
        employed_detail,
        last_paid_work,
        held_job_12m_plus,
        {{ yn_to_boolean('held_job_12m_plus') }} as has_held_job_12m_plus,
        benefit,
        care_plan_employment_action,
        {{ yn_to_boolean('care_plan_employment_action') }} as has_care_plan_employment_action,
        care_plan_retention_action,
        {{ yn_to_boolean('care_plan_retention_action') }} as has_care_plan_retention_action,
        living_situation,
        residence_la_code,
        cast(closure_date as date) as closure_date,
        closure_reason,
        retention_outcome,
        {{ lineage_columns() }}
    from source
)

select * from renamed
