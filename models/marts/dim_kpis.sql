/*
    The KPI catalogue, so every number on a dashboard can show its definition,
    with the default target: the one that applies regardless of service year (or from
    service year 2), in the current version of its framework (seed kpi_targets, open
    valid_to), and, where an earlier version's default target differed, that earlier
    target and its framework (the report shows both: "IPS Grow V8: at least 65%
    (IPS Grow v4: at least 60%)").
    It is the registry of KPIs: which of a KPI's numerator, denominator and value
    count people or events (public disclosure control reads these), whether it is a
    rate, the model that computes it and the report panel that shows it.
    One row per KPI.
*/
with

catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

default_target_versions as (
    select
        kpi_code,
        framework,
        valid_from,
        valid_to,
        min(target_min) as target_min,
        min(target_max) as target_max,
        min(target_source) as target_source
    from targets
    where service_year_from is null or service_year_from >= 2
    group by kpi_code, framework, valid_from, valid_to
),

default_targets as (
    select * from default_target_versions
    where valid_to is null
),

-- The version just before the current one, where its target differed.
previous_targets as (
    select
        default_target_versions.kpi_code,
        default_target_versions.framework,
        default_target_versions.target_min,
        default_target_versions.target_max
    from default_target_versions
    inner join default_targets
        on default_target_versions.kpi_code = default_targets.kpi_code
        and default_target_versions.valid_to < default_targets.valid_from
    where (
        default_target_versions.target_min <> default_targets.target_min
        or default_target_versions.target_max <> default_targets.target_max
        or (default_target_versions.target_min is null) <> (default_targets.target_min is null)
        or (default_target_versions.target_max is null) <> (default_targets.target_max is null)
    )
    and not exists (
        select 1 as is_later_version
        from default_target_versions as later
        where later.kpi_code = default_target_versions.kpi_code
            and later.valid_to > default_target_versions.valid_to
    )
),

final as (
    select
        cast(catalogue.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(catalogue.kpi_name as {{ dbt.type_string() }}) as kpi_name,
        cast(catalogue.section as {{ dbt.type_string() }}) as section,
        cast(
            case catalogue.section
                when 'A' then 'Local context'
                when 'B' then 'Intake'
                when 'C' then 'Quality and fidelity'
                when 'D' then 'Outcomes'
                when 'E' then 'Value for money and equality'
            end as {{ dbt.type_string() }}
        ) as section_name,
        cast(catalogue.source_framework as {{ dbt.type_string() }}) as source_framework,
        cast(catalogue.unit as {{ dbt.type_string() }}) as unit,
        cast(catalogue.period_types as {{ dbt.type_string() }}) as period_types,
        cast(catalogue.numerator_definition as {{ dbt.type_string() }}) as numerator_definition,
        cast(catalogue.denominator_definition as {{ dbt.type_string() }}) as denominator_definition,
        cast(catalogue.breakdowns as {{ dbt.type_string() }}) as breakdowns,
        cast(catalogue.higher_is_better as {{ dbt.type_string() }}) as higher_is_better,
        cast(catalogue.is_numerator_a_count as {{ dbt.type_boolean() }}) as is_numerator_a_count,
        cast(catalogue.is_denominator_a_count as {{ dbt.type_boolean() }}) as is_denominator_a_count,
        cast(catalogue.is_value_a_count as {{ dbt.type_boolean() }}) as is_value_a_count,
        cast(catalogue.is_rate as {{ dbt.type_boolean() }}) as is_rate,
        cast(catalogue.model as {{ dbt.type_string() }}) as model,
        cast(catalogue.report_panel as {{ dbt.type_string() }}) as report_panel,
        cast(catalogue.public_value as {{ dbt.type_string() }}) as public_value,
        cast(default_targets.target_min as {{ dbt.type_numeric() }}) as target_min,
        cast(default_targets.target_max as {{ dbt.type_numeric() }}) as target_max,
        cast(default_targets.target_source as {{ dbt.type_string() }}) as target_source,
        cast(default_targets.framework as {{ dbt.type_string() }}) as target_framework,
        cast(default_targets.valid_from as date) as target_valid_from,
        cast(previous_targets.target_min as {{ dbt.type_numeric() }}) as previous_target_min,
        cast(previous_targets.target_max as {{ dbt.type_numeric() }}) as previous_target_max,
        cast(previous_targets.framework as {{ dbt.type_string() }}) as previous_target_framework
    from catalogue
    left join default_targets
        on catalogue.kpi_code = default_targets.kpi_code
    left join previous_targets
        on catalogue.kpi_code = previous_targets.kpi_code
)

select * from final
