/*
    Section C caseload and employer-engagement KPIs (kpi-catalogue.md, "C - quality
    and fidelity") for every provider and England, per month, quarter and financial
    year, shaped into the scorecard's columns. Each KPI's rule is in one intermediate
    model, the one the registry's model column names:
    1. int_caseload_kpis: KPIs that are not sums of dated events (active_caseload,
       es_wte, caseload_per_es, employer_contacts_per_es_week,
       days_to_first_employer_contact).
    2. int_caseload_kpis_rolled_up: the dated events of int_caseload_kpi_events
       rolled up by kpi_rollup (first_employer_contact_30d_rate, time_to_first_job,
       closed_not_in_work).
    One row per organisation per period per KPI per breakdown.
*/
with

caseload_kpis as (
    select * from {{ ref('int_caseload_kpis') }}
),

dated_event_kpis as (
    select * from {{ ref('int_caseload_kpis_rolled_up') }}
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
    from caseload_kpis
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
    from dated_event_kpis
),

final as (
    select
        {{ scorecard_columns() }}
    from union_kpis
)

select * from final
