/*
    The scorecard every dashboard reads, restricted version (exact counts), in the
    exact shape of kpi-catalogue.md "Publication".
    Steps:
    1. Union the section facts.
    2. Attach targets from the KPI catalogue; target_status is met when the value
       lies within [target_min, target_max] (either bound may be open), not_met when
       outside, null when there is no target or no value.
    3. Stamp the as-of date.
    One row per organisation per period per KPI per breakdown.
*/
with

intake as (
    select * from {{ ref('fct_intake') }}
),

job_outcomes as (
    select * from {{ ref('fct_job_outcomes') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

facts_unioned as (
    select * from intake
    union all
    select * from job_outcomes
),

targets_attached as (
    select
        facts_unioned.*,
        case when facts_unioned.breakdown_type is null then kpis.target_min end as target_min,
        case when facts_unioned.breakdown_type is null then kpis.target_max end as target_max
    from facts_unioned
    left join kpis
        on facts_unioned.kpi_code = kpis.kpi_code
),

final as (
    select
        cast(targets_attached.org_code as {{ dbt.type_string() }}) as org_code,
        cast(targets_attached.org_level as {{ dbt.type_string() }}) as org_level,
        cast(targets_attached.period_type as {{ dbt.type_string() }}) as period_type,
        cast(targets_attached.period_start as date) as period_start,
        cast(targets_attached.period_end as date) as period_end,
        cast(targets_attached.kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(targets_attached.breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
        cast(targets_attached.breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(targets_attached.numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(targets_attached.denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(targets_attached.value as {{ dbt.type_numeric() }}) as value,
        cast(targets_attached.target_min as {{ dbt.type_numeric() }}) as target_min,
        cast(targets_attached.target_max as {{ dbt.type_numeric() }}) as target_max,
        cast(
            case
                when targets_attached.value is null then null
                when targets_attached.target_min is null and targets_attached.target_max is null then null
                when targets_attached.value < coalesce(targets_attached.target_min, targets_attached.value)
                    then 'not_met'
                when targets_attached.value > coalesce(targets_attached.target_max, targets_attached.value)
                    then 'not_met'
                else 'met'
            end as {{ dbt.type_string() }}
        ) as target_status,
        cast(as_of.as_of_date as date) as as_of_date
    from targets_attached
    cross join as_of
)

select * from final
