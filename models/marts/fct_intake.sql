/*
    Section B intake KPIs for every provider and England (referrals received,
    accepted, not accepted, engaged, acceptance rate, share from secondary care, the
    intake profile and the over-known rates): computed in int_intake_kpis_rolled_up,
    shaped here into the scorecard's columns.
    One row per organisation per period per KPI per breakdown.
*/
with

intake_kpis as (
    select * from {{ ref('int_intake_kpis_rolled_up') }}
),

final as (
    select
        {{ scorecard_columns() }}
    from intake_kpis
)

select * from final
