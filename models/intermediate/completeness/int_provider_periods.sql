/*
    The reporting scaffold: each provider against each period that overlaps its
    reporting window (int_provider_months: from its first return, or declared start,
    to its declared end or the as-of date); each ICB and NHS England region
    (int_org_membership) against each period any of its providers is in the scaffold
    for; and England against every period. A month with no accepted return stays in
    the scaffold (its figures come from what later returns carry and are flagged in
    int_period_coverage), so ICBs, regions and England always equal the sum of their
    providers. KPIs are zero-filled over this scaffold, so "no
    job starts this month" shows as 0, not as a missing row, and the roll-ups count a
    provider's records only in its scaffold periods.
*/
with

provider_months as (
    select * from {{ ref('int_provider_months') }}
),

-- A provider is in the scaffold once a return of its has loaded rows: one whose every
-- return was refused (an unknown code, say) has no records and no rows.
providers_with_returns as (
    select provider_code
    from provider_months
    group by provider_code
    having max(case when rows_loaded > 0 then 1 else 0 end) = 1
),

periods as (
    select * from {{ ref('int_periods') }}
),

memberships as (
    select * from {{ ref('int_org_membership') }}
),

provider_periods as (
    select distinct
        provider_months.provider_code as org_code,
        'provider' as org_level,
        periods.period_type,
        periods.period_start,
        periods.period_end
    from provider_months
    inner join providers_with_returns
        on provider_months.provider_code = providers_with_returns.provider_code
    inner join periods
        on provider_months.month_start_date between periods.period_start and periods.period_end
),

icb_and_region_periods as (
    select distinct
        memberships.org_code,
        memberships.org_level,
        provider_periods.period_type,
        provider_periods.period_start,
        provider_periods.period_end
    from provider_periods
    inner join memberships
        on provider_periods.org_code = memberships.provider_code
    where memberships.org_level in ('icb', 'region')
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
    select * from icb_and_region_periods
    union all
    select * from england_periods
)

select * from final
