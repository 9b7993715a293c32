/*
    Section A (local context, SCMH A) of the KPI catalogue in the section-fact shape of
    the scorecard: the labour market of each provider's catchment (APS), the ESA mental
    health share, the host trust's CQC survey proxies and MHSDS figures, and the
    commissioning checklist - for every provider and England, and MHSDS AMH17e% for each
    ICB and NHS England region MHSDS publishes it for (int_local_context_observations).
    Where each figure comes from, its status and breaks in series:
    int_local_context_observations.
    Steps:
    1. Keep the companion's rows in the reporting scaffold (int_provider_periods: each
       provider in the periods it sent returns, an ICB or region in its providers'
       periods, England in every period of int_periods).
    2. Headline per organisation, period and KPI: numerator and denominator summed over
       the contributing areas (catchment local authorities; checklist items) and
       value = summed numerator / summed denominator, never a mean of area rates; a single
       area's figure (host trust, England) is taken as the source publishes it. When any
       contributing area's figure is suppressed or missing, or a catchment local authority
       is absent from the extract (fewer areas than expected_area_count), the headline is
       null (numerator, denominator and value), never 0 and never a partial sum.
    3. breakdown_type local_authority: one row per catchment local authority of a provider
       (breakdown_value = GSS code), the checklist summed over its items.
    4. breakdown_type item: the commissioning checklist per item, summed over the
       organisation's local authorities.
    One row per organisation per period per KPI per breakdown.
*/
with

observations as (
    select * from {{ ref('int_local_context_observations') }}
),

scaffold as (
    select * from {{ ref('int_provider_periods') }}
),

keep_reporting_window as (
    select observations.*
    from observations
    inner join scaffold
        on observations.org_code = scaffold.org_code
        and observations.period_type = scaffold.period_type
        and observations.period_start = scaffold.period_start
),

key_by_breakdown as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        numerator,
        denominator,
        value,
        is_suppressed,
        area_code,
        expected_area_count
    from keep_reporting_window
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        'local_authority' as breakdown_type,
        area_code as breakdown_value,
        numerator,
        denominator,
        value,
        is_suppressed,
        area_code,
        expected_area_count
    from keep_reporting_window
    where org_level = 'provider'
        and area_type = 'local_authority'
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        'item' as breakdown_type,
        checklist_item as breakdown_value,
        numerator,
        denominator,
        value,
        is_suppressed,
        area_code,
        expected_area_count
    from keep_reporting_window
    where checklist_item is not null
),

sum_areas as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        count(*) as contributing_rows,
        count(numerator) as rows_with_numerator,
        count(denominator) as rows_with_denominator,
        max(case when is_suppressed then 1 else 0 end) as has_suppressed_area,
        count(distinct area_code) as areas_present,
        max(expected_area_count) as expected_area_count,
        sum(numerator) as summed_numerator,
        sum(denominator) as summed_denominator,
        max(value) as single_area_value
    from key_by_breakdown
    group by
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value
),

flag_incomplete_catchments as (
    select
        *,
        case
            when has_suppressed_area = 1 then 1
            when breakdown_type is null and areas_present < expected_area_count then 1
            else 0
        end as is_incomplete
    from sum_areas
),

compute_values as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        case
            when is_incomplete = 0 and rows_with_numerator = contributing_rows then summed_numerator
        end as numerator,
        case
            when is_incomplete = 0 and rows_with_denominator = contributing_rows then summed_denominator
        end as denominator,
        case
            when is_incomplete = 1 then null
            when contributing_rows = 1 then single_area_value
            when rows_with_numerator = contributing_rows
                and rows_with_denominator = contributing_rows
                and summed_denominator > 0
                then summed_numerator / summed_denominator
        end as value
    from flag_incomplete_catchments
),

final as (
    select
        {{ scorecard_columns() }}
    from compute_values
)

select * from final
