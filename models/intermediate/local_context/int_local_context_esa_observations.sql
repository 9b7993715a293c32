/*
    Section A esa_mental_health_share: ESA claimants whose main condition is "Mental and
    behavioural disorders" (ICDGP chapter 5) over all ESA claimants, per area and caseload
    month (DWP via NOMIS NM_134_1 to November 2018, Stat-Xplore after).
    Steps:
    1. Keep the all-sexes, all-ages rows (Total), as the catalogue asks for all claimants.
    2. Pivot per area and caseload month: numerator = condition 5, denominator = condition 0
       (all conditions).
    3. A missing count stays null (is_suppressed), never 0; a zero denominator gives a null
       share.
    4. The native scorecard period is the caseload month (the reference month, quarterly:
       February, May, August, November); int_local_context_observations places it in its
       quarter and financial year too.
    England is the source's own E92000001 row where the extract carries one, never a sum of
    local authorities.
    One row per area per caseload month.
*/
with

claimants as (
    select * from {{ ref('stg_dwp_esa__claimants') }}
),

select_all_people as (
    select * from claimants
    where sex = 'Total'
        and age = 'Total'
        and (is_all_conditions or is_mental_and_behavioural)
),

pivot_conditions as (
    select
        la_code,
        caseload_month,
        caseload_month_start_date,
        max(caseload_month_name) as caseload_month_name,
        max(la_name) as la_name,
        max(case when is_mental_and_behavioural then claimant_count end) as mental_health_claimants,
        max(case when is_all_conditions then claimant_count end) as all_claimants,
        max(source_layout) as source_layout,
        max(source_file) as source_file
    from select_all_people
    group by
        la_code,
        caseload_month,
        caseload_month_start_date
),

final as (
    select
        cast('dwp_esa' as {{ dbt.type_string() }}) as source,
        cast('esa_mental_health_share' as {{ dbt.type_string() }}) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as checklist_item,
        cast(
            case
                when la_code = 'E92000001' then 'country'
                when la_code like 'E12%' then 'region'
                when la_code like 'E10%' then 'county'
                else 'local_authority'
            end as {{ dbt.type_string() }}
        ) as area_type,
        cast(la_code as {{ dbt.type_string() }}) as area_code,
        cast(la_name as {{ dbt.type_string() }}) as area_name,
        cast(coalesce(caseload_month_name, caseload_month) as {{ dbt.type_string() }}) as reference_period_name,
        cast(caseload_month_start_date as date) as reference_start_date,
        cast({{ dbt.last_day('caseload_month_start_date', 'month') }} as date) as reference_end_date,
        cast('month' as {{ dbt.type_string() }}) as period_type,
        cast(caseload_month_start_date as date) as period_start,
        cast({{ dbt.last_day('caseload_month_start_date', 'month') }} as date) as period_end,
        cast(mental_health_claimants as {{ dbt.type_numeric() }}) as numerator,
        cast(all_claimants as {{ dbt.type_numeric() }}) as denominator,
        cast(
            case
                when all_claimants > 0 and mental_health_claimants is not null
                    then cast(mental_health_claimants as {{ dbt.type_numeric() }}) / all_claimants
            end as {{ dbt.type_numeric() }}
        ) as value,
        cast(
            {{ dbt.concat(["'ICDGP 5 over all conditions ('", "source_layout", "')'"]) }}
            as {{ dbt.type_string() }}
        ) as source_variable,
        cast(null as {{ dbt.type_string() }}) as series,
        cast(
            case when mental_health_claimants is null or all_claimants is null then 'missing' end
            as {{ dbt.type_string() }}
        ) as observation_status,
        coalesce(mental_health_claimants is null or all_claimants is null, false) as is_suppressed,
        false as is_break_in_series,
        cast(source_file as {{ dbt.type_string() }}) as source_file
    from pivot_conditions
)

select * from final
