/*
    Triangulation, restricted version (the return's count exact): the rows of
    int_ips_access_triangulation, where the rule lives (the return's count of people with a
    direct client contact in the rolling 12 months beside MHS116 for the provider's own
    code; null, never 0, without an MHS116 row).
    One row per provider per month.
*/
with

triangulation as (
    select * from {{ ref('int_ips_access_triangulation') }}
),

final as (
    select
        provider_code,
        period_start,
        period_end,
        return_access_12m,
        mhsds_access_12m,
        mhsds_status,
        has_mhsds_row,
        access_difference,
        access_ratio
    from triangulation
)

select * from final
