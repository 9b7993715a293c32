/*
    Every referral against every period in which it is open on some day
    (kpi-catalogue.md conventions: open on a date d means is_accepted (Y),
    referral_date <= d and closure_date null or >= d; a referral that was not accepted
    is never open). Nothing is counted after the as-of date, so a period's days run
    from period_start to period_effective_end (the period end, or the as-of date while
    the period is not complete).
    Steps:
    1. Accepted referrals only.
    2. Open on some day of the period: referral_date <= period_effective_end and
       (closure_date null or closure_date >= period_start).
    3. Open on the period end: also closure_date null or >= period_effective_end.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
    where is_accepted
),

periods as (
    select * from {{ ref('int_periods') }}
),

join_referrals_to_periods_open as (
    select
        referrals.provider_code,
        referrals.referral_id,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        periods.period_effective_end,
        referrals.closure_date
    from referrals
    inner join periods
        on referrals.referral_date <= periods.period_effective_end
        and (
            referrals.closure_date is null
            or referrals.closure_date >= periods.period_start
        )
),

final as (
    select
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        period_effective_end,
        coalesce(closure_date >= period_effective_end, true) as is_open_on_period_end
    from join_referrals_to_periods_open
)

select * from final
