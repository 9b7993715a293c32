/* The KPI catalogue, so every number on a dashboard can show its definition. One row per KPI. */
with

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

final as (
    select
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
        cast(section as {{ dbt.type_string() }}) as section,
        cast(
            case section
                when 'A' then 'Local context'
                when 'B' then 'Intake'
                when 'C' then 'Quality and fidelity'
                when 'D' then 'Outcomes'
                when 'E' then 'Value for money and equality'
            end as {{ dbt.type_string() }}
        ) as section_name,
        cast(source_framework as {{ dbt.type_string() }}) as source_framework,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(period_types as {{ dbt.type_string() }}) as period_types,
        cast(numerator_definition as {{ dbt.type_string() }}) as numerator_definition,
        cast(denominator_definition as {{ dbt.type_string() }}) as denominator_definition,
        cast(target_min as {{ dbt.type_numeric() }}) as target_min,
        cast(target_max as {{ dbt.type_numeric() }}) as target_max,
        cast(target_source as {{ dbt.type_string() }}) as target_source,
        cast(higher_is_better as {{ dbt.type_string() }}) as higher_is_better
    from catalogue
)

select * from final
