/*
    Return completeness: one row per provider per month of its reporting window, with
    whether a return was expected, received, accepted, refused or superseded.
    Steps:
    1. Summarise the load ledger's provider returns per provider and return month:
       the standing (loaded) load, its rows and referral rows, superseded copies and
       the latest refusal and its reason.
    2. Each provider with a loaded return or a declared start (one whose every delivery
       was refused, such as an unknown code, is not expected) has an expected window:
       from its declared start (ref_providers expected_from) or else its first return, to its declared end (expected_to) or
       else the as-of month. Its reporting window also covers any month it sent a
       return outside the expected one.
    3. One row per provider per month of the reporting window (months of int_periods).
       A month has an accepted return when a loaded return for it carries at least one
       referral row (a header-only referrals table does not count); it is provisional
       until a later month's return has been accepted (which may correct it), unless
       it is the provider's declared last month.
    A provider with a declared start and no return yet has a row for each expected
    month (all missing); the scorecard scaffold (int_provider_periods) leaves it out
    until its first return arrives.
*/
with

ledger as (
    select * from {{ ref('stg_ingest__load_ledger') }}
    where source_name = 'provider_returns'
        and provider_code is not null
        and return_month is not null
),

referral_rows as (
    select
        load_id,
        count(*) as referral_rows
    from {{ ref('stg_provider_returns__referrals') }}
    group by load_id
),

providers as (
    select
        provider_code,
        nullif(trim(expected_from), '') as declared_from,
        nullif(trim(expected_to), '') as declared_to
    from {{ ref('ref_providers') }}
),

months as (
    select
        period_start as month_start_date,
        period_end as month_end_date,
        {{ dbt.concat([
            "cast(extract(year from period_start) as " ~ dbt.type_string() ~ ")",
            "'-'",
            "case when extract(month from period_start) < 10 then '0' else '' end",
            "cast(extract(month from period_start) as " ~ dbt.type_string() ~ ")",
        ]) }} as return_month
    from {{ ref('int_periods') }}
    where period_type = 'month'
),

as_of as (
    select
        max(return_month) as as_of_month
    from months
),

loads_with_rows as (
    select
        ledger.provider_code,
        ledger.return_month,
        ledger.load_id,
        ledger.load_status,
        ledger.load_message,
        ledger.rows_loaded,
        ledger.loaded_at,
        coalesce(referral_rows.referral_rows, 0) as referral_rows
    from ledger
    left join referral_rows
        on ledger.load_id = referral_rows.load_id
),

rank_refusals as (
    select
        provider_code,
        return_month,
        load_message,
        row_number() over (
            partition by provider_code, return_month
            order by loaded_at desc, load_id desc
        ) as refusal_rank
    from loads_with_rows
    where load_status = 'refused'
),

summarise_returns as (
    select
        provider_code,
        return_month,
        max(case when load_status = 'loaded' then loaded_at end) as loaded_at,
        sum(case when load_status = 'loaded' then rows_loaded else 0 end) as rows_loaded,
        sum(case when load_status = 'loaded' then referral_rows else 0 end) as referral_rows,
        sum(case when load_status = 'superseded' then 1 else 0 end) as superseded_loads,
        sum(case when load_status = 'refused' then 1 else 0 end) as refused_loads,
        max(case when load_status = 'loaded' then 1 else 0 end) as has_loaded_return
    from loads_with_rows
    group by provider_code, return_month
),

returns_by_month as (
    select
        summarise_returns.*,
        rank_refusals.load_message as refusal_reason,
        case
            when summarise_returns.has_loaded_return = 1 and summarise_returns.referral_rows > 0 then 1 else 0
        end as has_accepted_return
    from summarise_returns
    left join rank_refusals
        on summarise_returns.provider_code = rank_refusals.provider_code
        and summarise_returns.return_month = rank_refusals.return_month
        and rank_refusals.refusal_rank = 1
),

returns_by_provider as (
    select
        provider_code,
        min(return_month) as first_return_month,
        max(return_month) as last_return_month,
        max(case when has_accepted_return = 1 then return_month end) as last_accepted_month,
        max(has_loaded_return) as has_loaded_return
    from returns_by_month
    group by provider_code
),

-- A provider is expected once a return of its has loaded (or from a declared start): one
-- whose every delivery was refused (an unknown code, say) is not a provider England expects.
provider_codes as (
    select provider_code from returns_by_provider
    where has_loaded_return = 1
    union
    select provider_code from providers
    where declared_from is not null
),

windows as (
    select
        provider_codes.provider_code,
        providers.declared_from,
        providers.declared_to,
        returns_by_provider.last_accepted_month,
        coalesce(providers.declared_from, returns_by_provider.first_return_month) as expected_from,
        coalesce(providers.declared_to, as_of.as_of_month) as expected_to,
        least(
            coalesce(providers.declared_from, returns_by_provider.first_return_month),
            coalesce(returns_by_provider.first_return_month, providers.declared_from)
        ) as window_from,
        greatest(
            coalesce(providers.declared_to, as_of.as_of_month),
            coalesce(returns_by_provider.last_return_month, providers.declared_to, as_of.as_of_month)
        ) as window_to
    from provider_codes
    left join providers
        on provider_codes.provider_code = providers.provider_code
    left join returns_by_provider
        on provider_codes.provider_code = returns_by_provider.provider_code
    cross join as_of
),

final as (
    select
        cast(windows.provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(months.return_month as {{ dbt.type_string() }}) as return_month,
        cast(months.month_start_date as date) as month_start_date,
        cast(months.month_end_date as date) as month_end_date,
        cast(windows.expected_from as {{ dbt.type_string() }}) as expected_from,
        cast(windows.expected_to as {{ dbt.type_string() }}) as expected_to,
        coalesce(months.return_month between windows.expected_from and windows.expected_to, false) as is_expected,
        returns_by_month.provider_code is not null as is_received,
        coalesce(returns_by_month.has_accepted_return = 1, false) as has_accepted_return,
        coalesce(returns_by_month.has_loaded_return = 0 and returns_by_month.refused_loads > 0, false) as is_refused,
        cast(
            case when returns_by_month.has_loaded_return = 0 then returns_by_month.refusal_reason end
            as {{ dbt.type_string() }}
        ) as refusal_reason,
        cast(coalesce(returns_by_month.superseded_loads, 0) as integer) as superseded_loads,
        cast(returns_by_month.loaded_at as timestamp) as loaded_at,
        cast(coalesce(returns_by_month.rows_loaded, 0) as bigint) as rows_loaded,
        cast(coalesce(returns_by_month.referral_rows, 0) as bigint) as referral_rows,
        coalesce(
            windows.last_accepted_month is null
            or (
                months.return_month >= windows.last_accepted_month
                and (windows.declared_to is null or months.return_month < windows.declared_to)
            ),
            false
        ) as is_provisional
    from windows
    inner join months
        on months.return_month between windows.window_from and windows.window_to
    left join returns_by_month
        on windows.provider_code = returns_by_month.provider_code
        and months.return_month = returns_by_month.return_month
)

select * from final
