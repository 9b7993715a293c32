/*
    Equality of access and outcome by ethnic group and gender, for every provider and
    England (so each provider's shares and rates sit beside England's).
    Steps:
    1. Roll the equality events up (kpi_rollup).
    2. equality_accepted_share: divide each group's accepted referrals by all accepted
       referrals of the organisation and period.
    One row per organisation per period per KPI per breakdown.
*/
with

rolled_up as (
    {{ kpi_rollup(ref('int_equality_kpi_events')) }}
),

accepted_totals as (
    select
        org_code,
        period_type,
        period_start,
        breakdown_type,
        sum(numerator) as accepted_referrals
    from rolled_up
    where kpi_code = 'equality_accepted_share'
    group by 1, 2, 3, 4
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
            when rolled_up.kpi_code = 'equality_accepted_share' then accepted_totals.accepted_referrals
            else rolled_up.denominator
        end as denominator
    from rolled_up
    left join accepted_totals
        on rolled_up.org_code = accepted_totals.org_code
        and rolled_up.period_type = accepted_totals.period_type
        and rolled_up.period_start = accepted_totals.period_start
        and rolled_up.breakdown_type = accepted_totals.breakdown_type
    where rolled_up.breakdown_type is not null
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
