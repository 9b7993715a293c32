/*
    Each counted referral's journey as NHS England's IPS dashboard (nhsengland/MHSDS
    "IPS Dashboard", from MHSDS) measures it: access, the wait for it, the time in
    service and work at discharge, with the band each falls in (kpi-catalogue.md
    "NHS England's measures"); int_access_kpi_events turns them into KPI events.
    Steps:
    1. Carried over: a referral received before its provider's first reporting month
       (the month of the provider's first accepted return, int_provider_months; not
       its declared start, ref_providers expected_from, as a month declared but never
       accepted holds no contact) was carried over into the return. The return holds no contact dated before that
       month, so a carried-over referral's first reported contact is not known to be
       its first contact: it has no access_date (and so no wait and no time in service
       from access); its first_reported_contact_date is kept, and int_access_kpi_events
       counts it in referrals_accessed_carried_over instead. A referral received on or
       after the first day of that month is not carried over. Each provider has its own
       first month.
    2. Access: the first direct contact with the client (client_face_to_face, or
       client_remote: phone or video) on or after the referral_date (the macro
       direct_client_contact), for a referral not carried over. The return has
       one row per contact that took place (no did-not-attend rows), so every recorded
       client contact is an attended one; a contact dated before the referral, and a
       contact with an employer, the clinical team or a jobcentre (not with the client),
       is never access. wait_band: the days from referral_date to the access date,
       0_to_7_days (0-7), 8_to_30_days (8-30), over_30_days (more than 30).
    3. Discharge is the closure_date. service_band_from_referral: the days from
       referral_date to closure_date; service_band_from_access: the days from the
       access date to closure_date, for a referral accessed on or before its closure
       (else null); both 0_to_90_days (0-90), 91_to_180_days (91-180), over_180_days
       (more than 180).
    4. In work at discharge: one of the referral's qualifying jobs
       (int_jobs_classified: at least 4 hours' paid work; a retained job counts)
       started on or before the closure_date and had not ended before it. The hours at
       discharge are the sum of those jobs' hours_per_week (null when none is known);
       discharge_hours_band: 30_plus_hours (30 or more), 16_to_29_hours (16 to under
       30), 15_or_less_hours (under 16); null when no hours are known (the
       referral is then left out of hours_at_discharge).
    5. referral_source_group: NHS England's groups of the referral source:
       secondary_mental_health_care (secondary_mh_team), primary_health_care
       (primary_care), self_referral (self), other (jobcentre and other, as NHS
       England's Other group holds every source outside health care and self
       referral), not_recorded (missing).
    One row per provider per referral.
*/
with

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_qualifying_job
),

provider_months as (
    select * from {{ ref('int_provider_months') }}
),

find_first_reporting_months as (
    select
        provider_code,
        min(month_start_date) as first_reporting_month
    from provider_months
    where has_accepted_return
    group by provider_code
),

find_first_direct_contacts as (
    select
        referrals.provider_code,
        referrals.referral_id,
        min(contacts.contact_date) as first_reported_contact_date
    from referrals
    inner join contacts
        on referrals.provider_code = contacts.provider_code
        and referrals.referral_id = contacts.referral_id
    where {{ direct_client_contact('contacts', 'referrals') }}
    group by referrals.provider_code, referrals.referral_id
),

sum_jobs_at_discharge as (
    select
        referrals.provider_code,
        referrals.referral_id,
        sum(jobs.hours_per_week) as hours_at_discharge
    from referrals
    inner join jobs
        on referrals.provider_code = jobs.provider_code
        and referrals.referral_id = jobs.referral_id
    where jobs.start_date <= referrals.closure_date
        and (jobs.end_date is null or jobs.end_date >= referrals.closure_date)
    group by referrals.provider_code, referrals.referral_id
),

flag_carried_over as (
    select
        referrals.provider_code,
        referrals.referral_id,
        referrals.referral_date,
        referrals.referral_source,
        referrals.closure_date,
        find_first_reporting_months.first_reporting_month,
        coalesce(
            referrals.referral_date < find_first_reporting_months.first_reporting_month, false
        ) as is_carried_over,
        find_first_direct_contacts.first_reported_contact_date
    from referrals
    left join find_first_reporting_months
        on referrals.provider_code = find_first_reporting_months.provider_code
    left join find_first_direct_contacts
        on referrals.provider_code = find_first_direct_contacts.provider_code
        and referrals.referral_id = find_first_direct_contacts.referral_id
),

-- A carried-over referral's first reported contact is not known to be its access.
date_access as (
    select
        provider_code,
        referral_id,
        referral_date,
        referral_source,
        closure_date,
        first_reporting_month,
        is_carried_over,
        first_reported_contact_date,
        case when not is_carried_over then first_reported_contact_date end as access_date
    from flag_carried_over
),

measure_days as (
    select
        referrals.provider_code,
        referrals.referral_id,
        referrals.referral_date,
        referrals.first_reporting_month,
        referrals.is_carried_over,
        referrals.first_reported_contact_date,
        case referrals.referral_source
            when 'secondary_mh_team' then 'secondary_mental_health_care'
            when 'primary_care' then 'primary_health_care'
            when 'self' then 'self_referral'
            when 'jobcentre' then 'other'
            when 'other' then 'other'
            else 'not_recorded'
        end as referral_source_group,
        referrals.access_date,
        referrals.closure_date,
        {{ dbt.datediff('referrals.referral_date', 'referrals.access_date', 'day') }}
            as days_to_access,
        {{ dbt.datediff('referrals.referral_date', 'referrals.closure_date', 'day') }} as days_from_referral,
        case
            when referrals.access_date <= referrals.closure_date
                then {{ dbt.datediff('referrals.access_date', 'referrals.closure_date', 'day') }}
        end as days_from_access,
        case
            when referrals.closure_date is not null then sum_jobs_at_discharge.referral_id is not null
        end as is_in_work_at_discharge,
        sum_jobs_at_discharge.hours_at_discharge
    from date_access as referrals
    left join sum_jobs_at_discharge
        on referrals.provider_code = sum_jobs_at_discharge.provider_code
        and referrals.referral_id = sum_jobs_at_discharge.referral_id
),

final as (
    select
        provider_code,
        referral_id,
        referral_date,
        referral_source_group,
        first_reporting_month,
        is_carried_over,
        first_reported_contact_date,
        access_date,
        closure_date,
        days_to_access,
        case
            when days_to_access <= 7 then '0_to_7_days'
            when days_to_access <= 30 then '8_to_30_days'
            when days_to_access > 30 then 'over_30_days'
        end as wait_band,
        days_from_referral,
        case
            when days_from_referral <= 90 then '0_to_90_days'
            when days_from_referral <= 180 then '91_to_180_days'
            when days_from_referral > 180 then 'over_180_days'
        end as service_band_from_referral,
        days_from_access,
        case
            when days_from_access <= 90 then '0_to_90_days'
            when days_from_access <= 180 then '91_to_180_days'
            when days_from_access > 180 then 'over_180_days'
        end as service_band_from_access,
        is_in_work_at_discharge,
        hours_at_discharge,
        case
            when not coalesce(is_in_work_at_discharge, false) then null
            when hours_at_discharge >= 30 then '30_plus_hours'
            when hours_at_discharge >= 16 then '16_to_29_hours'
            when hours_at_discharge < 16 then '15_or_less_hours'
        end as discharge_hours_band
    from measure_days
)

select * from final
