/*
    Equality of access and outcome by ethnic group and gender, for every provider and
    England: each KPI's numerator, denominator and value (the one model holding these
    rules; fct_equality only shapes the rows).
    Steps:
    1. Roll the equality events up (kpi_rollup); only breakdown rows are kept (the
       headline rows kpi_rollup zero-fills have no group).
    2. equality_accepted_share: each group's accepted referrals over all accepted
       referrals of the organisation, period and breakdown type (groups sum to 1).
    3. equality_engagement_rate and equality_into_work_per_engaged keep the rolled-up
       denominator; value is numerator / denominator, null when it is 0.
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
