/*
    Section E value for money (NDTi, IPSG, ED) for every provider and England: job
    outcomes, the job outcome rate, referrals carried over, the per-WTE ratios and the
    cost per job outcome, each computed in int_value_for_money_rolled_up (the one model
    holding their rules), shaped here into the scorecard's columns.
    One row per organisation per period per KPI.
*/
with

value_for_money_kpis as (
    select * from {{ ref('int_value_for_money_rolled_up') }}
),

final as (
    select
        {{ scorecard_columns() }}
    from value_for_money_kpis
)

select * from final
