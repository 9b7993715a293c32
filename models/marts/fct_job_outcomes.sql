/*
    Section D outcome KPIs (kpi-catalogue.md, "D - outcomes") for every provider and
    England, per month, quarter and financial year.
    Steps:
    1. KPIs from dated events (int_job_kpis_rolled_up): job starts and their
       breakdowns, temporary_job_rate, people_into_work, avg_hours_per_week,
       sustained_13w, sustained_26w, sustained_13w_rate, employed_at_referral,
       retention_closures, retention_success_rate, self_employment,
       self_employed_hmrc_rate, below_minimum_wage_rate.
    2. KPIs over per-period populations (int_outcome_populations_rolled_up):
       employment_rate_out_of_work, care_plan_employment_action_rate,
       care_plan_retention_action_rate, education_starts.
    3. One table in the scorecard's section shape.
    One row per organisation per period per KPI per breakdown.
*/
with

dated_event_kpis as (
    select * from {{ ref('int_job_kpis_rolled_up') }}
),

population_kpis as (
    select * from {{ ref('int_outcome_populations_rolled_up') }}
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
    from dated_event_kpis
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
    from population_kpis
),

final as (
    select
        {{ scorecard_columns() }}
    from union_kpis
)

select * from final
