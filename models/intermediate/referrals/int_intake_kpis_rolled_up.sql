/*
    Section B intake KPIs for every provider and England: each KPI's numerator,
    denominator and value (fct_intake only shapes the rows).
    Steps:
    1. Roll the intake events up to organisations and periods (kpi_rollup).
    2. intake_profile: turn the profile counts into shares of the accepted referrals
       received in the period (denominator = the headline count of the same
       organisation and period), so a provider's profile can be compared with
       England's; the headline row is that count over itself.
    3. Every other KPI keeps the rolled-up denominator; value is numerator /
       denominator (the count when there is none), null when it is 0.
    One row per organisation per period per KPI per breakdown.
*/
with

rolled_up as (
    {{ kpi_rollup(ref('int_intake_kpi_events')) }}
),

profile_totals as (
    select
        org_code,
        period_type,
        period_start,
        numerator as accepted_referrals
    from rolled_up
    where kpi_code = 'intake_profile'
        and breakdown_type is null
),

shares_computed as (
    select
        rolled_up.org_code,
        rolled_up.org_level,
        rolled_up.period_type,
        rolled_up.period_start,
        rolled_up.period_end,
        rolled_up.kpi_code,
        rolled_up.breakdown_type,
        rolled_up.breakdown_value,
        rolled_up.numerator,
        case
            when rolled_up.kpi_code = 'intake_profile' then profile_totals.accepted_referrals
            else rolled_up.denominator
        end as denominator
    from rolled_up
    left join profile_totals
        on rolled_up.org_code = profile_totals.org_code
        and rolled_up.period_type = profile_totals.period_type
        and rolled_up.period_start = profile_totals.period_start
),

final as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        numerator,
        denominator,
        cast(
            case
                when denominator is null then numerator
                when denominator = 0 then null
                else numerator / denominator
            end as {{ dbt.type_numeric() }}
        ) as value
    from shares_computed
)

select * from final
