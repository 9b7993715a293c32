/*
    What each scorecard figure rests on: per organisation and period, how many of the
    expected provider-months have an accepted return, how many expected providers
    reported every month, and whether any month is still provisional.
    Steps:
    1. Place each provider-month (int_provider_months) in the periods containing it.
    2. Per provider and period: months expected, months with an accepted return among
       them, provisional months; the provider counts as expected (1) when any month is
       expected and as reporting (1) when every expected month has an accepted return.
    3. Each ICB, NHS England region and England: the sums over its providers
       (int_org_membership; every provider with an expected month, including one whose
       first return has not arrived).
    One row per organisation per period.
*/
with

provider_months as (
    select * from {{ ref('int_provider_months') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

memberships as (
    select * from {{ ref('int_org_membership') }}
),

place_months_in_periods as (
    select
        provider_months.provider_code,
        periods.period_type,
        periods.period_start,
        provider_months.is_expected,
        provider_months.has_accepted_return,
        provider_months.is_provisional
    from provider_months
    inner join periods
        on provider_months.month_start_date between periods.period_start and periods.period_end
),

count_provider_months as (
    select
        provider_code as org_code,
        'provider' as org_level,
        period_type,
        period_start,
        sum(case when is_expected then 1 else 0 end) as months_expected,
        sum(case when is_expected and has_accepted_return then 1 else 0 end) as months_with_return,
        max(case when is_provisional then 1 else 0 end) as has_provisional_month
    from place_months_in_periods
    group by provider_code, period_type, period_start
),

flag_providers as (
    select
        *,
        case when months_expected > 0 then 1 else 0 end as providers_expected,
        case when months_expected > 0 and months_with_return = months_expected then 1 else 0 end
            as providers_reporting
    from count_provider_months
),

sum_parents as (
    select
        memberships.org_code,
        memberships.org_level,
        flag_providers.period_type,
        flag_providers.period_start,
        sum(flag_providers.months_expected) as months_expected,
        sum(flag_providers.months_with_return) as months_with_return,
        max(flag_providers.has_provisional_month) as has_provisional_month,
        sum(flag_providers.providers_expected) as providers_expected,
        sum(flag_providers.providers_reporting) as providers_reporting
    from flag_providers
    inner join memberships
        on flag_providers.org_code = memberships.provider_code
    where memberships.org_level <> 'provider'
    group by
        memberships.org_code,
        memberships.org_level,
        flag_providers.period_type,
        flag_providers.period_start
),

unioned as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        months_expected,
        months_with_return,
        has_provisional_month,
        providers_expected,
        providers_reporting
    from flag_providers
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        months_expected,
        months_with_return,
        has_provisional_month,
        providers_expected,
        providers_reporting
    from sum_parents
),

final as (
    select
        cast(org_code as {{ dbt.type_string() }}) as org_code,
        cast(org_level as {{ dbt.type_string() }}) as org_level,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(months_expected as integer) as months_expected,
        cast(months_with_return as integer) as months_with_return,
        cast(providers_expected as integer) as providers_expected,
        cast(providers_reporting as integer) as providers_reporting,
        has_provisional_month = 1 as is_provisional
    from unioned
)

select * from final
