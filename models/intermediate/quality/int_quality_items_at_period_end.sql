/*
    The Sainsbury Centre section C self-assessment scores that stand on each period
    end (kpi-catalogue.md, scmh quality items).
    Steps:
    1. The dates a point-in-time KPI is taken on: every period's effective end (the
       period end, or the as-of date while the period is not complete).
    2. For each provider and date d, the latest assessment dated on or before d (the
       catalogue sets no age limit for the yearly self-assessment).
    3. One row per item: six items scored 1-5 (paid_work_focus, client_preference,
       rapid_job_search, benefits_advice, mh_team_integration, jobcentre_relationship)
       and two audits scored 0-3 (fidelity_audit, client_feedback_audit).
*/
{%- set quality_items = [
    'paid_work_focus',
    'client_preference',
    'rapid_job_search',
    'benefits_advice',
    'mh_team_integration',
    'jobcentre_relationship',
    'fidelity_audit',
    'client_feedback_audit',
] %}

with

assessments as (
    select * from {{ ref('int_quality_assessments_latest') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

list_period_end_dates as (
    select distinct
        cast(period_effective_end as date) as period_end_date
    from periods
),

rank_assessments as (
    select
        assessments.*,
        list_period_end_dates.period_end_date,
        row_number() over (
            partition by assessments.provider_code, list_period_end_dates.period_end_date
            order by assessments.assessment_date desc
        ) as assessment_rank
    from assessments
    inner join list_period_end_dates
        on assessments.assessment_date <= list_period_end_dates.period_end_date
),

select_latest_assessments as (
    select * from rank_assessments
    where assessment_rank = 1
),

unpivot_items as (
    {% for item_name in quality_items -%}
    select
        provider_code,
        period_end_date,
        assessment_date,
        '{{ item_name }}' as item_name,
        {{ item_name }} as score
    from select_latest_assessments
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
),

final as (
    select
        provider_code,
        cast(period_end_date as date) as period_end_date,
        cast(assessment_date as date) as assessment_date,
        cast(item_name as {{ dbt.type_string() }}) as item_name,
        cast(score as integer) as score
    from unpivot_items
)

select * from final
