/*
    Section B intake KPIs for every provider and England.
    Steps:
    1. Roll the intake events up to organisations and periods (kpi_rollup).
    2. Turn the intake-profile counts into shares of the accepted referrals received
       in the period (denominator = the headline count of the same organisation and
       period), so a provider's profile can be compared with England's.
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

values_computed as (
    select
        *,
        case
            when denominator is null then numerator
            when denominator = 0 then null
            else numerator / denominator
        end as value
    from shares_computed
),

final as (
    select
        {{ scorecard_columns() }}
    from values_computed
)

select * from final
