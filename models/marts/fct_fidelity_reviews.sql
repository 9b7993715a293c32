/*
    Section C fidelity and quality scores (kpi-catalogue.md, "C - quality and
    fidelity") for every provider, per month, quarter and financial year: the rows of
    int_fidelity_kpis, which holds each of these KPIs' rules (the registry's model
    column), shaped into the scorecard's columns. No England rows.
    One row per organisation per period per KPI per breakdown.
*/
with

fidelity_kpis as (
    select * from {{ ref('int_fidelity_kpis') }}
),

final as (
    select
        {{ scorecard_columns() }}
    from fidelity_kpis
)

select * from final
