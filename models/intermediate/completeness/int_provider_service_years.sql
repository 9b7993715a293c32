/*
    The provider's service year for each financial year: service year 1 is the
    financial year of the provider's first referral (kpi-catalogue.md, per-WTE
    targets), year 2 the next, and so on.
*/
with

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

periods as (
    select * from {{ ref('int_periods') }}
    where period_type = 'financial_year'
),

first_referrals as (
    select
        provider_code,
        min(referral_date) as first_referral_date
    from referrals
    group by provider_code
),

first_years as (
    select
        provider_code,
        first_referral_date,
        cast(
            case
                when extract(month from first_referral_date) >= 4 then extract(year from first_referral_date)
                else extract(year from first_referral_date) - 1
            end as integer
        ) as first_financial_year
    from first_referrals
),

final as (
    select
        first_years.provider_code,
        periods.financial_year,
        first_years.first_referral_date,
        first_years.first_financial_year,
        periods.financial_year - first_years.first_financial_year + 1 as service_year
    from first_years
    inner join periods
        on periods.financial_year >= first_years.first_financial_year
)

select * from final
