/*
    The public triangulation: fct_ips_access_triangulation after the disclosure rule of
    the public scorecard (README "Disclosure control"). MHS116 is NHS Digital's own
    publication (already rounded to 5, * under 5), so it is shown as published; the
    return's own count is not public: a count from 0 to 4 is hidden (null, with
    is_return_suppressed; a shown 0 would say every hidden count is at least 1), others
    are rounded to the nearest 5 (macros/suppress_count.sql). The difference and the ratio
    are worked from the published figures only, so neither gives the exact count back.
    There is no England or other parent row here, so no parent minus children can pin a
    hidden count.
    One row per provider per month.
*/
with

triangulation as (
    select * from {{ ref('fct_ips_access_triangulation') }}
),

published as (
    select
        provider_code,
        period_start,
        period_end,
        case
            when return_access_12m <= 4 then null
            else {{ suppress_count('return_access_12m') }}
        end as return_access_12m,
        coalesce(return_access_12m <= 4, false) as is_return_suppressed,
        mhsds_access_12m,
        mhsds_status,
        has_mhsds_row
    from triangulation
),

final as (
    select
        cast(provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(return_access_12m as {{ dbt.type_numeric() }}) as return_access_12m,
        is_return_suppressed,
        cast(mhsds_access_12m as {{ dbt.type_numeric() }}) as mhsds_access_12m,
        cast(mhsds_status as {{ dbt.type_string() }}) as mhsds_status,
        has_mhsds_row,
        cast(return_access_12m - mhsds_access_12m as {{ dbt.type_numeric() }}) as access_difference,
        cast(
            case when mhsds_access_12m > 0 then return_access_12m / mhsds_access_12m end
            as {{ dbt.type_numeric() }}
        ) as access_ratio
    from published
)

select * from final
