/*
    Section A survey proxies from the CQC Community Mental Health Survey, per NHS trust and
    survey year, and England as all trusts weighted by respondents.
    Steps:
    1. Find each year's answer columns through the year -> question -> concept seed
       (ref_cqc_survey_questions), because question numbers change every year: only the
       columns the seed names for that year are read.
    2. Per trust and year: survey_in_paid_work_rate = in_paid_work (employment status
       question); survey_help_with_work_rate = yes_definitely + yes_to_some_extent and
       survey_wanted_help_rate = no_would_have_liked_help (the "help with finding or keeping
       work" question). Published percentages become fractions 0-1; a blank answer leaves the
       KPI null (is_suppressed), never 0.
    3. numerator = value x respondents (n_tpat), denominator = respondents: the weights that
       make England the respondent-weighted figure of all trusts in the file (an estimate of
       respondents, as the % is of those who answered the question).
    4. The 2023 survey changed mode and sample: is_break_in_series comes from the seed's
       is_break_in_trend.
    5. Survey year YYYY maps to financial year YYYY (its sample is drawn from people seen in
       the spring of that year).
    One row per KPI per area (trust or England) per survey year.
*/
with

trust_results as (
    select * from {{ ref('stg_cqc_cmh_survey__trust_results') }}
),

survey_questions as (
    select * from {{ ref('ref_cqc_survey_questions') }}
),

map_answers_to_kpis as (
    select
        survey_questions.survey_year,
        survey_questions.question_number,
        survey_questions.answer_column,
        survey_questions.is_break_in_trend,
        case
            when survey_questions.concept = 'employment_status'
                and survey_questions.answer_meaning = 'in_paid_work'
                then 'survey_in_paid_work_rate'
            when survey_questions.concept = 'help_with_work'
                and survey_questions.answer_meaning in ('yes_definitely', 'yes_to_some_extent')
                then 'survey_help_with_work_rate'
            when survey_questions.concept = 'help_with_work'
                and survey_questions.answer_meaning = 'no_would_have_liked_help'
                then 'survey_wanted_help_rate'
        end as kpi_code,
        case
            when survey_questions.concept = 'employment_status' then 'in paid work'
            when survey_questions.answer_meaning = 'no_would_have_liked_help'
                then 'no, but would have liked help'
            else 'yes, definitely + yes, to some extent'
        end as answers_counted
    from survey_questions
),

join_results_to_kpis as (
    select
        trust_results.survey_year,
        trust_results.trust_code,
        trust_results.trust_name,
        trust_results.respondent_count,
        -- Staging holds the % as dbt.type_float() (4-byte on DuckDB and Spark); via text the
        -- published decimal comes back exactly.
        cast(
            cast(trust_results.answer_percent as {{ dbt.type_string() }}) as {{ dbt.type_numeric() }}
        ) as answer_percent,
        trust_results.source_file,
        map_answers_to_kpis.kpi_code,
        map_answers_to_kpis.question_number,
        map_answers_to_kpis.answers_counted,
        map_answers_to_kpis.is_break_in_trend
    from trust_results
    inner join map_answers_to_kpis
        on trust_results.survey_year = cast(map_answers_to_kpis.survey_year as integer)
        and trust_results.answer_column = map_answers_to_kpis.answer_column
    where map_answers_to_kpis.kpi_code is not null
),

sum_answers_by_trust as (
    select
        survey_year,
        trust_code,
        kpi_code,
        max(trust_name) as trust_name,
        max(respondent_count) as respondent_count,
        max(question_number) as question_number,
        max(answers_counted) as answers_counted,
        max(case when is_break_in_trend then 1 else 0 end) as is_break_year,
        case
            when count(answer_percent) = count(*) then sum(answer_percent) / 100
        end as share,
        max(source_file) as source_file
    from join_results_to_kpis
    group by
        survey_year,
        trust_code,
        kpi_code
),

weight_trusts as (
    select
        *,
        case when share is not null then share * respondent_count end as weighted_numerator
    from sum_answers_by_trust
),

trusts_and_england as (
    select
        survey_year,
        kpi_code,
        'nhs_trust' as area_type,
        trust_code as area_code,
        trust_name as area_name,
        question_number,
        answers_counted,
        is_break_year,
        weighted_numerator as numerator,
        case when share is not null then respondent_count end as denominator,
        share as value,
        source_file
    from weight_trusts
    union all
    select
        survey_year,
        kpi_code,
        'country' as area_type,
        'E92000001' as area_code,
        'England (all trusts, weighted by respondents)' as area_name,
        max(question_number) as question_number,
        max(answers_counted) as answers_counted,
        max(is_break_year) as is_break_year,
        sum(weighted_numerator) as numerator,
        sum(respondent_count) as denominator,
        case
            when sum(respondent_count) > 0 then sum(weighted_numerator) / sum(respondent_count)
        end as value,
        max(source_file) as source_file
    from weight_trusts
    where share is not null
        and respondent_count is not null
    group by
        survey_year,
        kpi_code
),

final as (
    select
        cast('cqc_cmh_survey' as {{ dbt.type_string() }}) as source,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as checklist_item,
        cast(area_type as {{ dbt.type_string() }}) as area_type,
        cast(area_code as {{ dbt.type_string() }}) as area_code,
        cast(area_name as {{ dbt.type_string() }}) as area_name,
        cast(
            {{ dbt.concat(["'Community Mental Health Survey '", "cast(survey_year as " ~ dbt.type_string() ~ ")"]) }}
            as {{ dbt.type_string() }}
        ) as reference_period_name,
        cast({{ dbt.concat(["cast(survey_year as " ~ dbt.type_string() ~ ")", "'-01-01'"]) }} as date)
            as reference_start_date,
        cast({{ dbt.concat(["cast(survey_year as " ~ dbt.type_string() ~ ")", "'-12-31'"]) }} as date)
            as reference_end_date,
        cast('financial_year' as {{ dbt.type_string() }}) as period_type,
        cast({{ dbt.concat(["cast(survey_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
            as period_start,
        cast({{ dbt.concat(["cast(survey_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date)
            as period_end,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(value as {{ dbt.type_numeric() }}) as value,
        cast({{ dbt.concat(["question_number", "': '", "answers_counted"]) }} as {{ dbt.type_string() }})
            as source_variable,
        cast(null as {{ dbt.type_string() }}) as series,
        cast(case when value is null then 'blank' end as {{ dbt.type_string() }}) as observation_status,
        coalesce(value is null, false) as is_suppressed,
        coalesce(is_break_year = 1, false) as is_break_in_series,
        cast(source_file as {{ dbt.type_string() }}) as source_file
    from trusts_and_england
)

select * from final
