/*
    Section A labour-market context from the Annual Population Survey (NOMIS NM_17_5),
    per area, per KPI and per 12-month window to December.
    Steps:
    1. Keep the windows that end in December (NOMIS DATE_CODE YYYY-12): the catalogue
       reports the APS year "12 months to December"; the other rolling windows are not used.
    2. Map each variable code to its concept through ref_nomis_variables and keep the
       variable whose series covers the window's year (first_year..last_year): the
       qualification rate is NVQ2+ (9201) to 2021 and RQF2+ (9202) from 2022. The seed's
       concept nvq2_plus_rate becomes kpi_code context_nvq2_plus_rate, because section B
       already publishes nvq2_plus_rate (the provider's own referrals).
    3. Flag a break in series on the first year of a series that replaced an earlier series
       of the same concept (RQF2+ in 2022): that year is not comparable with the year before.
    4. Pivot the measures: 21001 numerator, 21002 denominator, 20599 the published %.
       A suppressed or missing cell (status !, *, ~ or -) keeps its NOMIS status and stays
       null, never 0.
    5. value = numerator / denominator when both are published (so a catchment sum and an
       area agree), else the published % / 100.
    6. Map the window Jan-Dec YYYY to financial year YYYY (1 April YYYY - 31 March YYYY+1),
       the financial year in which the APS year ends.
    One row per KPI per area per financial year.
*/
with

observations as (
    select * from {{ ref('stg_nomis_aps__observations') }}
),

variables as (
    select * from {{ ref('ref_nomis_variables') }}
    where dataset_id = 'NM_17_5'
),

december_windows as (
    select
        observations.*,
        cast(extract(year from observations.period_end_date) as integer) as reference_year,
        -- Staging holds values as dbt.type_float() (4-byte on DuckDB and Spark); via text the
        -- published decimal comes back exactly (a direct cast adds float noise: 88100.00384).
        cast(
            cast(observations.observation_value as {{ dbt.type_string() }}) as {{ dbt.type_numeric() }}
        ) as published_value
    from observations
    where extract(month from observations.period_end_date) = 12
),

find_series_starts as (
    select
        variables.variable_code,
        variables.concept,
        variables.series,
        cast(variables.first_year as integer) as first_year,
        cast(variables.last_year as integer) as last_year,
        max(case when earlier_series.variable_code is not null then 1 else 0 end) as replaces_a_series
    from variables
    left join variables as earlier_series
        on variables.concept = earlier_series.concept
        and variables.variable_code <> earlier_series.variable_code
        and earlier_series.last_year < variables.first_year
    group by
        variables.variable_code,
        variables.concept,
        variables.series,
        variables.first_year,
        variables.last_year
),

select_series_in_force as (
    select
        december_windows.reference_year,
        december_windows.period_name,
        december_windows.period_end_date,
        december_windows.geography_code,
        december_windows.geography_name,
        december_windows.geography_level,
        december_windows.variable_code,
        december_windows.measure_type,
        december_windows.published_value,
        december_windows.observation_status,
        december_windows.is_suppressed,
        december_windows.source_file,
        find_series_starts.concept,
        find_series_starts.series,
        coalesce(
            find_series_starts.replaces_a_series = 1
            and december_windows.reference_year = find_series_starts.first_year,
            false
        ) as is_break_in_series
    from december_windows
    inner join find_series_starts
        on december_windows.variable_code = cast(find_series_starts.variable_code as integer)
        and december_windows.reference_year >= coalesce(find_series_starts.first_year, 0)
        and december_windows.reference_year <= coalesce(find_series_starts.last_year, 9999)
),

pivot_measures as (
    select
        concept,
        reference_year,
        geography_code,
        variable_code,
        series,
        is_break_in_series,
        max(period_name) as period_name,
        max(period_end_date) as period_end_date,
        max(geography_name) as geography_name,
        max(geography_level) as geography_level,
        max(case when measure_type = 'numerator' then published_value end) as numerator,
        max(case when measure_type = 'denominator' then published_value end) as denominator,
        max(case when measure_type = 'value' then published_value end) as published_percent,
        coalesce(
            max(case when measure_type = 'value' then observation_status end),
            max(case when measure_type = 'numerator' then observation_status end),
            max(observation_status)
        ) as observation_status,
        max(
            case
                when measure_type in ('value', 'numerator', 'denominator') and is_suppressed then 1
                else 0
            end
        ) as has_suppressed_cell,
        max(source_file) as source_file
    from select_series_in_force
    group by
        concept,
        reference_year,
        geography_code,
        variable_code,
        series,
        is_break_in_series
),

compute_values as (
    select
        *,
        case
            when has_suppressed_cell = 1 then null
            when numerator is not null and denominator > 0 then numerator / denominator
            when published_percent is not null then published_percent / 100
        end as rate_value
    from pivot_measures
),

final as (
    select
        cast('nomis_aps' as {{ dbt.type_string() }}) as source,
        cast(
            case concept
                when 'nvq2_plus_rate' then 'context_nvq2_plus_rate'
                else concept
            end as {{ dbt.type_string() }}
        ) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as checklist_item,
        cast(
            case
                when geography_level = 'country' then 'country'
                when geography_level in ('region', 'county') then geography_level
                else 'local_authority'
            end as {{ dbt.type_string() }}
        ) as area_type,
        cast(geography_code as {{ dbt.type_string() }}) as area_code,
        cast(geography_name as {{ dbt.type_string() }}) as area_name,
        cast(
            coalesce(
                period_name,
                {{ dbt.concat(["'12 months to December '", "cast(reference_year as " ~ dbt.type_string() ~ ")"]) }}
            )
            as {{ dbt.type_string() }}
        ) as reference_period_name,
        cast({{ dbt.concat(["cast(reference_year as " ~ dbt.type_string() ~ ")", "'-01-01'"]) }} as date)
            as reference_start_date,
        cast(period_end_date as date) as reference_end_date,
        cast('financial_year' as {{ dbt.type_string() }}) as period_type,
        cast({{ dbt.concat(["cast(reference_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
            as period_start,
        cast({{ dbt.concat(["cast(reference_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date)
            as period_end,
        cast(case when has_suppressed_cell = 0 then numerator end as {{ dbt.type_numeric() }}) as numerator,
        cast(case when has_suppressed_cell = 0 then denominator end as {{ dbt.type_numeric() }}) as denominator,
        cast(rate_value as {{ dbt.type_numeric() }}) as value,
        cast(
            {{ dbt.concat(["'NM_17_5 variable '", "cast(variable_code as " ~ dbt.type_string() ~ ")"]) }}
            as {{ dbt.type_string() }}
        ) as source_variable,
        cast(series as {{ dbt.type_string() }}) as series,
        cast(observation_status as {{ dbt.type_string() }}) as observation_status,
        coalesce(has_suppressed_cell = 1 or rate_value is null, false) as is_suppressed,
        is_break_in_series,
        cast(source_file as {{ dbt.type_string() }}) as source_file
    from compute_values
)

select * from final
