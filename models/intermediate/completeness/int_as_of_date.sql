/*
    The as-of date: the last day of the latest reporting month loaded. Nothing is
    counted after it; open jobs accrue days up to it and no further.
*/
with

returns as (
    select return_month from {{ ref('stg_provider_returns__referrals') }}
),

latest_month as (
    select
        min(return_month) as first_return_month,
        max(return_month) as last_return_month
    from returns
),

final as (
    select
        cast(first_return_month || '-01' as date) as first_month_start_date,
        cast({{ dbt.last_day("cast(last_return_month || '-01' as date)", 'month') }} as date) as as_of_date
    from latest_month
)

select * from final
