/*
    Section A figures from the NHS Mental Health Services Monthly Statistics (MHSDS), per
    reporting month, at the level NHS Digital publishes each measure (public-sources.md):
    MHS116 for England, each NHS trust (BREAKDOWN Provider) and each sub-ICB; AMH17e% for
    England, sub-ICB, ICB and commissioning region, never per provider (NHS Digital no
    longer publishes it per provider; a Provider row of it in an older extract is dropped).
    Steps:
    1. Keep the England, Provider, sub-ICB ('Sub ICB - GP Practice or Residence', before
       July 2022 'CCG - GP Practice or Residence'), ICB ('ICB - GP Practice or
       Residence', before July 2022 'STP - GP Practice or Residence') and commissioning
       region ('Commissioning Region') breakdowns without a secondary level.
    2. mhsds_ips_access_12m = MHS116, people (referrals) that accessed IPS in the rolling
       12 months to the month end: a count (numerator = value, no denominator); England,
       Provider and sub-ICB.
    3. mhsds_employed_rate = AMH17e% / 100, adults aged 18-69 in contact with secondary
       mental health services who are in employment (the successor of PSA 16 / NI 150);
       numerator = the AMH17e count. MHSDS publishes the rate, not its denominator count, so
       the denominator stays null (not derived from rounded figures). England, sub-ICB,
       ICB and region.
    4. A * cell (fewer than 5) stays null with status *, never 0; otherwise the status is
       MHSDS STATUS (Performance or Provisional).
    5. area_type says the level: country, nhs_trust, sub_icb, icb (ODS ICB code, e.g.
       QHM) or nhs_region (Y56-Y63). int_local_context_observations attaches a trust's
       figures to its providers and England's to England; sub-ICB, ICB and region figures
       wait for organisations at those levels (none is attached to a provider).
    6. The native scorecard period is the reporting month (the month of
       REPORTING_PERIOD_END); int_local_context_observations takes a quarter's or financial
       year's figure at its last month.
    One row per KPI per area (England, trust, sub-ICB, ICB or region) per month.
*/
with

measures as (
    select * from {{ ref('stg_mhsds__measures') }}
),

select_breakdowns as (
    select
        breakdown,
        primary_level_code,
        primary_level_name,
        reporting_period_start_date,
        reporting_period_end_date,
        publication_status,
        measure_id,
        -- Staging holds values as dbt.type_float() (4-byte on DuckDB and Spark); via text the
        -- published decimal comes back exactly.
        cast(cast(measure_value as {{ dbt.type_string() }}) as {{ dbt.type_numeric() }}) as measure_value,
        is_suppressed,
        source_file,
        cast({{ dbt.date_trunc('month', 'reporting_period_end_date') }} as date) as month_start_date
    from measures
    where
        breakdown in (
            'England',
            'Provider',
            'Sub ICB - GP Practice or Residence',
            'CCG - GP Practice or Residence',
            'ICB - GP Practice or Residence',
            'STP - GP Practice or Residence',
            'Commissioning Region'
        )
        and secondary_level_code is null
),

classify_levels as (
    select
        select_breakdowns.*,
        case
            when select_breakdowns.breakdown = 'England' then 'country'
            when select_breakdowns.breakdown = 'Provider' then 'nhs_trust'
            when select_breakdowns.breakdown in (
                    'Sub ICB - GP Practice or Residence', 'CCG - GP Practice or Residence'
                ) then 'sub_icb'
            when select_breakdowns.breakdown in (
                    'ICB - GP Practice or Residence', 'STP - GP Practice or Residence'
                ) then 'icb'
            else 'nhs_region'
        end as area_type
    from select_breakdowns
),

pivot_measures as (
    select
        area_type,
        primary_level_code,
        month_start_date,
        max(primary_level_name) as primary_level_name,
        min(reporting_period_start_date) as reporting_period_start_date,
        max(reporting_period_end_date) as reporting_period_end_date,
        max(publication_status) as publication_status,
        max(case when measure_id = 'MHS116' then measure_value end) as ips_access_count,
        max(case when measure_id = 'MHS116' and is_suppressed then 1 else 0 end) as is_ips_access_suppressed,
        max(case when measure_id = 'MHS116' then 1 else 0 end) as has_ips_access,
        max(case when measure_id = 'AMH17e' then measure_value end) as employed_count,
        max(case when measure_id = 'AMH17e%' then measure_value end) as employed_percent,
        max(case when measure_id = 'AMH17e%' and is_suppressed then 1 else 0 end) as is_employed_suppressed,
        max(case when measure_id = 'AMH17e%' then 1 else 0 end) as has_employed_rate,
        max(source_file) as source_file
    from classify_levels
    group by
        area_type,
        primary_level_code,
        month_start_date
),

unpivot_kpis as (
    select
        area_type,
        primary_level_code,
        primary_level_name,
        month_start_date,
        reporting_period_start_date,
        reporting_period_end_date,
        publication_status,
        'mhsds_ips_access_12m' as kpi_code,
        'MHS116' as source_variable,
        ips_access_count as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        ips_access_count as value,
        is_ips_access_suppressed as is_suppressed_cell,
        source_file
    from pivot_measures
    where has_ips_access = 1
        and area_type in ('country', 'nhs_trust', 'sub_icb')
    union all
    select
        area_type,
        primary_level_code,
        primary_level_name,
        month_start_date,
        reporting_period_start_date,
        reporting_period_end_date,
        publication_status,
        'mhsds_employed_rate' as kpi_code,
        'AMH17e% (numerator AMH17e)' as source_variable,
        employed_count as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        employed_percent / 100 as value,
        is_employed_suppressed as is_suppressed_cell,
        source_file
    from pivot_measures
    where has_employed_rate = 1
        and area_type in ('country', 'sub_icb', 'icb', 'nhs_region')
),

final as (
    select
        cast('mhsds' as {{ dbt.type_string() }}) as source,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as checklist_item,
        cast(area_type as {{ dbt.type_string() }}) as area_type,
        cast(
            case when area_type = 'country' then 'E92000001' else primary_level_code end
            as {{ dbt.type_string() }}
        ) as area_code,
        cast(
            case when area_type = 'country' then 'England' else primary_level_name end
            as {{ dbt.type_string() }}
        ) as area_name,
        cast(
            {{ dbt.concat([
                "cast(reporting_period_start_date as " ~ dbt.type_string() ~ ")",
                "' to '",
                "cast(reporting_period_end_date as " ~ dbt.type_string() ~ ")"
            ]) }} as {{ dbt.type_string() }}
        ) as reference_period_name,
        cast(reporting_period_start_date as date) as reference_start_date,
        cast(reporting_period_end_date as date) as reference_end_date,
        cast('month' as {{ dbt.type_string() }}) as period_type,
        cast(month_start_date as date) as period_start,
        cast({{ dbt.last_day('month_start_date', 'month') }} as date) as period_end,
        cast(case when is_suppressed_cell = 0 then numerator end as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(case when is_suppressed_cell = 0 then value end as {{ dbt.type_numeric() }}) as value,
        cast(source_variable as {{ dbt.type_string() }}) as source_variable,
        cast(null as {{ dbt.type_string() }}) as series,
        cast(
            case when is_suppressed_cell = 1 then '*' else publication_status end
            as {{ dbt.type_string() }}
        ) as observation_status,
        coalesce(is_suppressed_cell = 1 or value is null, false) as is_suppressed,
        false as is_break_in_series,
        cast(source_file as {{ dbt.type_string() }}) as source_file
    from unpivot_kpis
)

select * from final
