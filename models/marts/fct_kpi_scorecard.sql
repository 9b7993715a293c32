/*
    The scorecard every dashboard reads, restricted version (exact counts), in the
    exact shape of kpi-catalogue.md "Publication".
    Steps:
    1. Union the section facts by column name (each has an enforced contract with
       the columns of scorecard_columns; each branch selects scorecard_column_names).
    2. Attach targets (seed kpi_targets) by KPI, period type and the provider's
       service year, in the version of their framework in force at the period end
       (valid_from <= period_end <= valid_to, either bound open): a period that
       straddles a change (none does today: IPS Grow V8 starts with a financial year)
       is judged by the version its last day is under, as a year's figure is known only
       at its end. target_framework names that version. target_status is met when
       the value lies within [target_min, target_max] (either bound may be open),
       not_met when outside, null when there is no target or no value.
    3. Stamp the as-of date and what the figure rests on (int_period_coverage): the
       expected provider-months with an accepted return, the expected providers that
       reported every month, whether any is missing (is_incomplete) and whether any
       month is still provisional (no later month's return loaded yet).
    One row per organisation per period per KPI per breakdown.
*/
with

intake as (
    select * from {{ ref('fct_intake') }}
),

outcomes as (
    select * from {{ ref('fct_job_outcomes') }}
),

equality as (
    select * from {{ ref('fct_equality') }}
),

caseload as (
    select * from {{ ref('fct_caseload') }}
),

fidelity_reviews as (
    select * from {{ ref('fct_fidelity_reviews') }}
),

value_for_money as (
    select * from {{ ref('fct_value_for_money') }}
),

local_context as (
    select * from {{ ref('fct_local_context') }}
),

targets as (
    select * from {{ ref('kpi_targets') }}
),

service_years as (
    select * from {{ ref('int_provider_service_years') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

coverage as (
    select * from {{ ref('int_period_coverage') }}
),

facts_unioned as (
    {%- set section_facts = [
        'intake', 'outcomes', 'equality', 'caseload',
        'fidelity_reviews', 'value_for_money', 'local_context'
    ] %}
    {%- for section_fact in section_facts %}
    {% if not loop.first %}union all{% endif %}
    select {{ scorecard_column_names() | join(', ') }}
    from {{ section_fact }}
    {%- endfor %}
),

facts_with_service_year as (
    select
        facts_unioned.*,
        -- England is treated as a mature service (year 2 and later) for service-year targets.
        coalesce(service_years.service_year, 99) as service_year
    from facts_unioned
    left join periods
        on facts_unioned.period_type = periods.period_type
        and facts_unioned.period_start = periods.period_start
    left join service_years
        on facts_unioned.org_code = service_years.provider_code
        and periods.financial_year = service_years.financial_year
),

targets_matched as (
    select
        facts_with_service_year.org_code,
        facts_with_service_year.period_type,
        facts_with_service_year.period_start,
        facts_with_service_year.kpi_code,
        min(targets.target_min) as target_min,
        min(targets.target_max) as target_max,
        min(targets.framework) as target_framework
    from facts_with_service_year
    inner join targets
        on facts_with_service_year.kpi_code = targets.kpi_code
        and (targets.period_type is null or targets.period_type = facts_with_service_year.period_type)
        and facts_with_service_year.service_year >= coalesce(targets.service_year_from, 0)
        and facts_with_service_year.service_year <= coalesce(targets.service_year_to, 999)
        and (targets.valid_from is null or targets.valid_from <= facts_with_service_year.period_end)
        and (targets.valid_to is null or targets.valid_to >= facts_with_service_year.period_end)
    where facts_with_service_year.breakdown_type is null
    group by 1, 2, 3, 4
),

targets_attached as (
    select
        facts_unioned.*,
        case when facts_unioned.breakdown_type is null then targets_matched.target_min end as target_min,
        case when facts_unioned.breakdown_type is null then targets_matched.target_max end as target_max,
        case when facts_unioned.breakdown_type is null then targets_matched.target_framework end as target_framework
    from facts_unioned
    left join targets_matched
        on facts_unioned.org_code = targets_matched.org_code
        and facts_unioned.period_type = targets_matched.period_type
        and facts_unioned.period_start = targets_matched.period_start
        and facts_unioned.kpi_code = targets_matched.kpi_code
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
            {{ target_status('targets_attached.value', 'targets_attached.target_min', 'targets_attached.target_max') }}
            as {{ dbt.type_string() }}
        ) as target_status,
        cast(targets_attached.target_framework as {{ dbt.type_string() }}) as target_framework,
        cast(as_of.as_of_date as date) as as_of_date,
        cast(coalesce(coverage.months_expected, 0) as integer) as months_expected,
        cast(coalesce(coverage.months_with_return, 0) as integer) as months_with_return,
        cast(coalesce(coverage.providers_expected, 0) as integer) as providers_expected,
        cast(coalesce(coverage.providers_reporting, 0) as integer) as providers_reporting,
        coalesce(coverage.months_with_return < coverage.months_expected, false) as is_incomplete,
        coalesce(coverage.is_provisional, false) as is_provisional
    from targets_attached
    cross join as_of
    left join coverage
        on targets_attached.org_code = coverage.org_code
        and targets_attached.period_type = coverage.period_type
        and targets_attached.period_start = coverage.period_start
)

select * from final
