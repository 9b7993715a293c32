/*
    Each counted referral with the intake-profile categories the catalogue reports
    (age band, ethnic group) and the "known" flags the over-known rates need.
    Missing codes become 'not_recorded' so unknowns are counted and shown, never
    dropped silently.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

ethnic_categories as (
    select * from {{ ref('ref_ethnic_categories') }}
),

profiled as (
    select
        referrals.provider_code,
        referrals.referral_id,
        referrals.client_id,
        referrals.referral_date,
        referrals.accepted,
        referrals.rejection_reason,
        referrals.vocational_profile_date,
        referrals.closure_date,
        referrals.closure_reason,
        referrals.retention_outcome,
        referrals.referral_source,
        referrals.employment_status,
        referrals.employed_detail,
        referrals.care_plan_employment_action,
        referrals.care_plan_retention_action,
        referrals.is_accepted,
        referrals.is_accepted and referrals.vocational_profile_date is not null as is_engaged,
        referrals.is_employed_at_referral,
        {{ age_band('referrals.age_at_referral') }} as age_band,
        coalesce(referrals.gender, 'not_recorded') as gender,
        coalesce(
            ethnic_categories.ethnic_group,
            case when referrals.ethnic_category is null then 'not_recorded' end
        ) as ethnic_group,
        coalesce(referrals.highest_qualification, 'not_recorded') as highest_qualification,
        coalesce(referrals.employment_status, 'not_recorded') as employment_status_recorded,
        coalesce(referrals.last_paid_work, 'not_recorded') as last_paid_work,
        coalesce(referrals.benefit, 'not_recorded') as benefit,
        coalesce(referrals.living_situation, 'not_recorded') as living_situation,
        referrals.highest_qualification in ('none', 'level_1', 'level_2', 'level_3', 'level_4_plus')
            as is_qualification_known,
        referrals.highest_qualification in ('level_2', 'level_3', 'level_4_plus') as is_level_2_plus,
        referrals.has_held_job_12m_plus is not null as is_held_job_known,
        coalesce(referrals.has_held_job_12m_plus, false) as has_held_job_12m_plus,
        referrals.benefit in ('esa', 'incapacity_benefit', 'uc_health', 'uc_other', 'other', 'none')
            as is_benefit_known,
        referrals.benefit in ('esa', 'incapacity_benefit', 'uc_health') as is_long_term_benefit,
        referrals.is_in_secondary_mh_care is not null as is_secondary_care_known,
        coalesce(referrals.is_in_secondary_mh_care, false) as is_in_secondary_mh_care
    from referrals
    left join ethnic_categories
        on referrals.ethnic_category = ethnic_categories.ethnic_category
),

final as (
    select * from profiled
)

select * from final
