/*
    Section B intake events: one row per referral per KPI it counts towards, dated
    by the day that puts it in a period (kpi-catalogue.md, "B - intake").
    Steps:
    1. referrals_received / referrals_accepted / acceptance_rate /
       referrals_from_secondary_mh_rate are dated by referral_date.
    2. referrals_engaged is dated by vocational_profile_date (accepted referrals only:
       an engaged referral is accepted = 'Y' with a vocational profile date).
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

received as (
    select
        provider_code,
        referral_id,
        referral_date as event_date,
        case when accepted = 'Y' then 1 else 0 end as is_accepted_flag,
        case when referral_source = 'secondary_mh_team' then 1 else 0 end as is_secondary_mh_flag
    from referrals
),

engaged as (
    select
        provider_code,
        vocational_profile_date as event_date
    from referrals
    where accepted = 'Y'
        and vocational_profile_date is not null
),

events_unioned as (
    select
        provider_code,
        'referrals_received' as kpi_code,
        event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from received
    union all
    select
        provider_code,
        'referrals_accepted' as kpi_code,
        event_date,
        is_accepted_flag as numerator,
        cast(null as integer) as denominator
    from received
    union all
    select
        provider_code,
        'acceptance_rate' as kpi_code,
        event_date,
        is_accepted_flag as numerator,
        1 as denominator
    from received
    union all
    select
        provider_code,
        'referrals_from_secondary_mh_rate' as kpi_code,
        event_date,
        is_secondary_mh_flag as numerator,
        1 as denominator
    from received
    union all
    select
        provider_code,
        'referrals_engaged' as kpi_code,
        event_date,
        1 as numerator,
        cast(null as integer) as denominator
    from engaged
),

final as (
    select
        provider_code,
        kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        event_date,
        numerator,
        denominator
    from events_unioned
)

select * from final
