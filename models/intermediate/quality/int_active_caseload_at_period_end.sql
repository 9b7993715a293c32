/*
    The active caseload on each period end (kpi-catalogue.md, active_caseload; IPSG
    appendix A: contact in the last 4 weeks), built once for every KPI that needs it.
    Steps:
    1. The dates a point-in-time KPI is taken on: every period's effective end (the
       period end, or the as-of date while the period is not complete). Months,
       quarters and financial years share their end dates, so each date is done once.
    2. Engaged referrals open on each date d: is_accepted, referral_date <= d,
       closure_date null or >= d, vocational_profile_date <= d. A referral that was
       not accepted is never open.
    3. Keep those with at least one client contact (client_face_to_face or
       client_remote) in the 28 days ending on d: contact_date between d - 27 and d
       (d - 27 is the 28th day of the window; d - 28 is outside it).
    4. Carry the member's profile at referral (is_employed_at_referral), so a KPI over
       the caseload (int_caseload_kpis) reads it without joining referrals again.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

list_period_end_dates as (
    select distinct
        cast(period_effective_end as date) as period_end_date
    from periods
),

select_open_engaged_referrals as (
    select
        referrals.provider_code,
        referrals.referral_id,
        referrals.is_employed_at_referral,
        list_period_end_dates.period_end_date
    from referrals
    inner join list_period_end_dates
        on referrals.referral_date <= list_period_end_dates.period_end_date
        and referrals.vocational_profile_date <= list_period_end_dates.period_end_date
        and (
            referrals.closure_date is null
            or referrals.closure_date >= list_period_end_dates.period_end_date
        )
    where referrals.is_accepted
),

filter_client_contacts as (
    select
        provider_code,
        referral_id,
        contact_date
    from contacts
    where contact_type in ('client_face_to_face', 'client_remote')
),

keep_contacted_in_28_days as (
    select
        select_open_engaged_referrals.provider_code,
        select_open_engaged_referrals.referral_id,
        select_open_engaged_referrals.period_end_date,
        select_open_engaged_referrals.is_employed_at_referral,
        max(filter_client_contacts.contact_date) as last_client_contact_date,
        count(*) as client_contacts_in_window
    from select_open_engaged_referrals
    inner join filter_client_contacts
        on select_open_engaged_referrals.provider_code = filter_client_contacts.provider_code
        and select_open_engaged_referrals.referral_id = filter_client_contacts.referral_id
        and filter_client_contacts.contact_date
        >= cast({{ dbt.dateadd('day', -27, 'select_open_engaged_referrals.period_end_date') }} as date)
        and filter_client_contacts.contact_date <= select_open_engaged_referrals.period_end_date
    group by
        select_open_engaged_referrals.provider_code,
        select_open_engaged_referrals.referral_id,
        select_open_engaged_referrals.period_end_date,
        select_open_engaged_referrals.is_employed_at_referral
),

final as (
    select
        provider_code,
        referral_id,
        period_end_date,
        cast(last_client_contact_date as date) as last_client_contact_date,
        cast(client_contacts_in_window as integer) as client_contacts_in_window,
        is_employed_at_referral
    from keep_contacted_in_28_days
)

select * from final
