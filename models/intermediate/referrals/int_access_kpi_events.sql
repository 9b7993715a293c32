/*
    NHS England's IPS dashboard measures (nhsengland/MHSDS "IPS Dashboard", from MHSDS)
    as dated events: one row per referral per KPI (and breakdown) it counts towards,
    dated by the day that puts it in a period (kpi-catalogue.md "NHS England's
    measures"); int_access_kpis_rolled_up rolls them up with kpi_rollup.
    Steps:
    1. Access: a referral's first direct contact with the client (client_face_to_face,
       or client_remote: phone or video) on or after its referral_date. The return has
       one row per contact that took place (no did-not-attend rows), so every recorded
       client contact is an attended one; a contact dated before the referral, and a
       contact with an employer, the clinical team or a jobcentre (not with the client),
       is never access. referrals_accessed is dated by that access date.
    2. first_contact_wait: the referrals accessed in the period by the wait from
       referral_date to the access date in whole days (0_to_7_days: 0-7,
       8_to_30_days: 8-30, over_30_days: more than 30); each accessed referral gives a
       headline row (1 over 1) and one row per band (1 in its band, 0 in the others,
       over 1), so a band's value is its share of the referrals accessed.
*/
{%- set wait_bands = [
    ('0_to_7_days', 'days_to_access <= 7'),
    ('8_to_30_days', 'days_to_access between 8 and 30'),
    ('over_30_days', 'days_to_access > 30'),
] %}
with

referrals as (
    select * from {{ ref('int_referrals_profiled') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

find_first_direct_contacts as (
    select
        referrals.provider_code,
        referrals.referral_id,
        min(contacts.contact_date) as access_date
    from referrals
    inner join contacts
        on referrals.provider_code = contacts.provider_code
        and referrals.referral_id = contacts.referral_id
    where contacts.contact_type in ('client_face_to_face', 'client_remote')
        and contacts.contact_date >= referrals.referral_date
    group by referrals.provider_code, referrals.referral_id
),

accessed as (
    select
        referrals.provider_code,
        referrals.referral_id,
        find_first_direct_contacts.access_date,
        {{ dbt.datediff('referrals.referral_date', 'find_first_direct_contacts.access_date', 'day') }}
            as days_to_access
    from referrals
    inner join find_first_direct_contacts
        on referrals.provider_code = find_first_direct_contacts.provider_code
        and referrals.referral_id = find_first_direct_contacts.referral_id
),

events_unioned as (
    select
        provider_code,
        'referrals_accessed' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        access_date as event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from accessed
    union all
    select
        provider_code,
        'first_contact_wait' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        access_date as event_date,
        1 as numerator,
        1 as denominator
    from accessed
    {%- for band, condition in wait_bands %}
    union all
    select
        provider_code,
        'first_contact_wait' as kpi_code,
        'wait_band' as breakdown_type,
        '{{ band }}' as breakdown_value,
        access_date as event_date,
        case when {{ condition }} then 1 else 0 end as numerator,
        1 as denominator
    from accessed
    {%- endfor %}
),

final as (
    select
        provider_code,
        kpi_code,
        breakdown_type,
        breakdown_value,
        event_date,
        numerator,
        denominator
    from events_unioned
)

select * from final
