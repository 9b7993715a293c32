/*
    Equality of access and outcome by ethnic group and gender, for every provider and
    England (so each provider's shares and rates sit beside England's): computed in
    int_equality_kpis_rolled_up (the one model holding their rules), shaped here into
    the scorecard's columns.
    One row per organisation per period per KPI per breakdown.
*/
with

equality_kpis as (
    select * from {{ ref('int_equality_kpis_rolled_up') }}
),

final as (
    select
        {{ scorecard_columns() }}
    from equality_kpis
)

select * from final
