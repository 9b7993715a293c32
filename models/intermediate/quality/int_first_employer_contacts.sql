/*
    Each engaged referral's first face-to-face employer contact about a competitive
    job (kpi-catalogue.md, days_to_first_employer_contact and
    first_employer_contact_30d_rate; IPSG: within 30 days of the vocational profile).
    Steps:
    1. Employer contacts that count: contact_type = 'employer_face_to_face' and
       is_competitive_job (staging's boolean of competitive_job = Y; remote employer
       contacts and contacts about a non-competitive job are ignored).
    2. The earliest such contact of each engaged referral (is_accepted with a
       vocational_profile_date; the gap is measured from that date).
    3. Days from vocational_profile_date to that contact, and whether the gap is
       30 days or fewer.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

filter_competitive_employer_contacts as (
    select
        provider_code,
        referral_id,
        contact_date
    from contacts
    where contact_type = 'employer_face_to_face'
        and is_competitive_job
),

find_first_contacts as (
    select
        provider_code,
        referral_id,
        min(contact_date) as first_employer_contact_date
    from filter_competitive_employer_contacts
    group by
        provider_code,
        referral_id
),

join_engaged_referrals as (
    select
        find_first_contacts.provider_code,
        find_first_contacts.referral_id,
        referrals.vocational_profile_date,
        find_first_contacts.first_employer_contact_date,
        {{ dbt.datediff('referrals.vocational_profile_date', 'find_first_contacts.first_employer_contact_date', 'day') }}
            as days_to_first_employer_contact
    from find_first_contacts
    inner join referrals
        on find_first_contacts.provider_code = referrals.provider_code
        and find_first_contacts.referral_id = referrals.referral_id
    where referrals.is_accepted
        and referrals.vocational_profile_date is not null
),

final as (
    select
        provider_code,
        referral_id,
        cast(vocational_profile_date as date) as vocational_profile_date,
        cast(first_employer_contact_date as date) as first_employer_contact_date,
        cast(days_to_first_employer_contact as integer) as days_to_first_employer_contact,
        days_to_first_employer_contact <= 30 as is_within_30_days
    from join_engaged_referrals
)

select * from final
