/*
    The section A (local context) companion of fct_local_context: every public-source
    figure behind a provider's or England's context KPI, with its source, area, status and
    break-in-series flag, so a dashboard can show where a number comes from and flag the
    NVQ2+ to RQF2+ change (APS, 2022) and the CQC survey's change of mode and sample (2023).
    Covers the whole loaded history and every provider of ref_providers; fct_local_context
    keeps the reporting window.
    Steps:
    1. Union the per-source models (one row per KPI per area per native period).
    2. Place each figure in scorecard periods. Annual figures are financial-year only: APS
       12 months to December YYYY -> FY YYYY, CQC survey year YYYY -> FY YYYY, commissioner
       return FY -> FY. Monthly figures (ESA caseload month, MHSDS reporting month) fill
       their month, and their quarter and financial year take the figure of the latest
       month the source has for that KPI in the period (MHS116 is already a rolling 12
       months; ESA is a caseload count at a quarterly reference month).
    3. Attach organisations. A provider gets its catchment local authorities
       (ref_provider_catchments) for APS, ESA and the commissioner return, and its host NHS
       trust (ref_providers.host_trust_code) for CQC and MHSDS. England (ENG) gets the
       source's England figure (area_type country: NOMIS E92000001, the MHSDS England
       breakdown, all CQC trusts weighted by respondents); the commissioner return has no
       England figure, so England there is every returning local authority. An ICB and an
       NHS England region get the source's own figure for them where the source publishes
       one at that level (MHSDS AMH17e%: the ICB and commissioning region breakdowns),
       matched by ODS code (ref_icbs.icb_code, e.g. QMJ; ref_nhs_regions.nhs_region_code,
       Y56-Y63) or by GSS code (E54, E40), never a sum of providers and never England's
       figure: an ICB or region the source has no figure for has no row.
    4. expected_area_count: how many catchment local authorities a provider's headline
       needs (so fct_local_context nulls a headline when one is absent from the extract,
       not only when it is suppressed). Null for the checklist, which is over known
       answers (a local authority without a return is unknown, like U), and for trusts and
       England.
    One row per organisation per period per KPI per checklist item per area.
*/
with

aps_observations as (
    select * from {{ ref('int_local_context_aps_observations') }}
),

esa_observations as (
    select * from {{ ref('int_local_context_esa_observations') }}
),

survey_observations as (
    select * from {{ ref('int_local_context_survey_observations') }}
),

mhsds_observations as (
    select * from {{ ref('int_local_context_mhsds_observations') }}
),

commissioning_observations as (
    select * from {{ ref('int_local_context_commissioning_observations') }}
),

providers as (
    select * from {{ ref('ref_providers') }}
),

catchments as (
    select * from {{ ref('ref_provider_catchments') }}
),

icbs as (
    select * from {{ ref('ref_icbs') }}
),

nhs_regions as (
    select * from {{ ref('ref_nhs_regions') }}
),

observations_unioned as (
    select * from aps_observations
    union all
    select * from esa_observations
    union all
    select * from survey_observations
    union all
    select * from mhsds_observations
    union all
    select * from commissioning_observations
),

classify_native_periods as (
    select
        observations_unioned.*,
        case
            when observations_unioned.period_type = 'month' then observations_unioned.period_start
        end as source_month_start,
        cast(
            case
                when extract(month from observations_unioned.period_start) >= 4
                    then extract(year from observations_unioned.period_start)
                else extract(year from observations_unioned.period_start) - 1
            end as integer
        ) as financial_year
    from observations_unioned
),

place_in_periods as (
    select
        classify_native_periods.*,
        classify_native_periods.period_type as scorecard_period_type,
        classify_native_periods.period_start as scorecard_period_start,
        classify_native_periods.period_end as scorecard_period_end
    from classify_native_periods
    union all
    select
        classify_native_periods.*,
        'quarter' as scorecard_period_type,
        cast({{ dbt.date_trunc('quarter', 'classify_native_periods.period_start') }} as date)
            as scorecard_period_start,
        cast(
            {{ dbt.last_day(dbt.date_trunc('quarter', 'classify_native_periods.period_start'), 'quarter') }}
            as date
        ) as scorecard_period_end
    from classify_native_periods
    where classify_native_periods.period_type = 'month'
    union all
    select
        classify_native_periods.*,
        'financial_year' as scorecard_period_type,
        cast(
            {{ dbt.concat(["cast(classify_native_periods.financial_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }}
            as date
        ) as scorecard_period_start,
        cast(
            {{ dbt.concat([
                "cast(classify_native_periods.financial_year + 1 as " ~ dbt.type_string() ~ ")",
                "'-03-31'"
            ]) }}
            as date
        ) as scorecard_period_end
    from classify_native_periods
    where classify_native_periods.period_type = 'month'
),

find_latest_months as (
    select
        place_in_periods.*,
        max(place_in_periods.source_month_start) over (
            partition by
                place_in_periods.kpi_code,
                place_in_periods.scorecard_period_type,
                place_in_periods.scorecard_period_start
        ) as latest_source_month_start
    from place_in_periods
),

keep_latest_months as (
    select * from find_latest_months
    where source_month_start is null
        or source_month_start = latest_source_month_start
),

provider_areas as (
    select
        catchments.provider_code,
        'local_authority' as area_type,
        catchments.la_code as area_code
    from catchments
    union all
    select
        providers.provider_code,
        'nhs_trust' as area_type,
        providers.host_trust_code as area_code
    from providers
    where providers.host_trust_code is not null
),

count_catchment_areas as (
    select
        provider_code,
        count(*) as catchment_area_count
    from catchments
    group by provider_code
),

attach_providers as (
    select
        provider_areas.provider_code as org_code,
        'provider' as org_level,
        case
            when keep_latest_months.area_type = 'local_authority'
                and keep_latest_months.kpi_code <> 'commissioning_checklist_met_rate'
                then count_catchment_areas.catchment_area_count
        end as expected_area_count,
        keep_latest_months.*
    from keep_latest_months
    inner join provider_areas
        on keep_latest_months.area_type = provider_areas.area_type
        and keep_latest_months.area_code = provider_areas.area_code
    left join count_catchment_areas
        on provider_areas.provider_code = count_catchment_areas.provider_code
),

attach_england as (
    select
        'ENG' as org_code,
        'england' as org_level,
        cast(null as integer) as expected_area_count,
        keep_latest_months.*
    from keep_latest_months
    where keep_latest_months.area_type = 'country'
        or keep_latest_months.source = 'commissioner_returns'
),

-- The source's figure for an ICB or region (by ODS or GSS code), at that level only.
icb_and_region_areas as (
    select
        icbs.icb_code as org_code,
        'icb' as org_level,
        'icb' as area_type,
        icbs.icb_code as area_code
    from icbs
    union all
    select
        icbs.icb_code as org_code,
        'icb' as org_level,
        'icb' as area_type,
        icbs.icb_gss_code as area_code
    from icbs
    where icbs.icb_gss_code is not null
    union all
    select
        nhs_regions.nhs_region_code as org_code,
        'region' as org_level,
        'nhs_region' as area_type,
        nhs_regions.nhs_region_code as area_code
    from nhs_regions
    union all
    select
        nhs_regions.nhs_region_code as org_code,
        'region' as org_level,
        'nhs_region' as area_type,
        nhs_regions.nhs_region_gss_code as area_code
    from nhs_regions
    where nhs_regions.nhs_region_gss_code is not null
),

attach_icbs_and_regions as (
    select
        icb_and_region_areas.org_code,
        icb_and_region_areas.org_level,
        cast(null as integer) as expected_area_count,
        keep_latest_months.*
    from keep_latest_months
    inner join icb_and_region_areas
        on keep_latest_months.area_type = icb_and_region_areas.area_type
        and keep_latest_months.area_code = icb_and_region_areas.area_code
),

organisations_unioned as (
    select * from attach_providers
    union all
    select * from attach_england
    union all
    select * from attach_icbs_and_regions
),

final as (
    select
        cast(org_code as {{ dbt.type_string() }}) as org_code,
        cast(org_level as {{ dbt.type_string() }}) as org_level,
        cast(scorecard_period_type as {{ dbt.type_string() }}) as period_type,
        cast(scorecard_period_start as date) as period_start,
        cast(scorecard_period_end as date) as period_end,
        kpi_code,
        checklist_item,
        source,
        area_type,
        area_code,
        area_name,
        reference_period_name,
        reference_start_date,
        reference_end_date,
        numerator,
        denominator,
        value,
        source_variable,
        series,
        observation_status,
        is_suppressed,
        is_break_in_series,
        cast(expected_area_count as integer) as expected_area_count,
        source_file
    from organisations_unioned
)

select * from final
