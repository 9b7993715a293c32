/*
    The reporting scaffold: each provider against each period in which it sent at
    least one return, plus England against every period. KPIs are zero-filled over
    this scaffold, so "no job starts this month" shows as 0, not as a missing row.
*/
with

returns as (
    select distinct
        provider_code,
        cast(return_month || '-01' as date) as return_month_start
    from {{ ref('stg_provider_returns__referrals') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

provider_periods as (
    select distinct
        returns.provider_code as org_code,
        'provider' as org_level,
        periods.period_type,
        periods.period_start,
        periods.period_end
    from returns
    inner join periods
        on returns.return_month_start between periods.period_start and periods.period_end
),

england_periods as (
    select
        'ENG' as org_code,
        'england' as org_level,
        period_type,
        period_start,
        period_end
    from periods
),

final as (
    select * from provider_periods
    union all
    select * from england_periods
)

select * from final
