/*
    Section B intake KPIs for every provider and England, shaped into the scorecard's
    columns. Each KPI's rule is in one intermediate model, the one the registry's
    model column names:
    1. int_intake_kpis_rolled_up: referrals received, accepted, not accepted, engaged,
       acceptance rate, share from secondary care, the intake profile and the
       over-known rates.
    2. int_access_kpis_rolled_up: NHS England's IPS dashboard measures (the dated
       events of int_access_kpi_events rolled up by kpi_rollup): access, the wait
       for a first direct contact, the time in service, work and hours at
       discharge, referral-source groups, contacts by medium, profile completeness
       and access in the financial year (the catalogue's section says which part of
       the service each measures).
    One row per organisation per period per KPI per breakdown.
*/
with

intake_kpis as (
    select * from {{ ref('int_intake_kpis_rolled_up') }}
),

access_kpis as (
    select * from {{ ref('int_access_kpis_rolled_up') }}
),

union_kpis as (
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
        value
    from intake_kpis
    union all
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
        value
    from access_kpis
),

final as (
    select
        {{ scorecard_columns() }}
    from union_kpis
)

select * from final
