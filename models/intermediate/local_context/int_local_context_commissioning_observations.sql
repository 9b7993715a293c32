/*
    Section A commissioning checklist and the NHS-as-exemplar-employer indicator from the
    yearly commissioner return, per local authority and financial year.
    Steps:
    1. Unpivot the eight SCMH section A items (comprehensive_range, multi_agency_forum and
       the six primary-care employment-support criteria) to one row per item:
       numerator 1 when the item is met (staging's boolean is_<item>_met: answer Y),
       denominator 1 when it is known (Y or N). U (unknown) and a blank answer (null
       boolean) stay visible here (observation_status, the answer as returned) but count
       in neither, so the rate is over known answers.
    2. nhs_recruits_declaring_mh_rate: new recruits to the local NHS mental health trust
       declaring a mental health condition / new recruits; a figure not returned stays null
       (is_suppressed), never 0.
    3. The return's financial year is the scorecard financial year.
    One row per KPI per local authority per financial year per checklist item.
*/
{%- set checklist_items = [
    "comprehensive_range",
    "multi_agency_forum",
    "primary_care_onsite_2_sessions",
    "primary_care_gp_response_5_days",
    "primary_care_gp_joint_working",
    "primary_care_therapist_joint_working",
    "primary_care_employer_contact",
    "primary_care_benefits_advice",
] %}
with

commissioning as (
    select * from {{ ref('stg_commissioner_returns__commissioning') }}
),

unpivot_items as (
    {%- for item in checklist_items %}
    select
        financial_year,
        la_code,
        source_file,
        '{{ item }}' as checklist_item,
        {{ item }} as answer,
        is_{{ item }}_met as is_met
    from commissioning
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

score_items as (
    select
        financial_year,
        la_code,
        'commissioning_checklist_met_rate' as kpi_code,
        checklist_item,
        checklist_item as source_variable,
        case when is_met then 1 else 0 end as numerator,
        case when is_met is not null then 1 else 0 end as denominator,
        case
            when is_met then 1
            when not is_met then 0
        end as value,
        coalesce(answer, 'blank') as observation_status,
        false as is_suppressed,
        source_file
    from unpivot_items
),

compute_recruits as (
    select
        financial_year,
        la_code,
        'nhs_recruits_declaring_mh_rate' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as checklist_item,
        {{ dbt.concat([
            "'nhs_recruits_declaring_mh_condition / nhs_new_recruits ('",
            "coalesce(nhs_trust_code, 'trust not given')",
            "')'"
        ]) }}
            as source_variable,
        nhs_recruits_declaring_mh_condition as numerator,
        nhs_new_recruits as denominator,
        case
            when nhs_new_recruits > 0 and nhs_recruits_declaring_mh_condition is not null
                then cast(nhs_recruits_declaring_mh_condition as {{ dbt.type_numeric() }}) / nhs_new_recruits
        end as value,
        case
            when nhs_recruits_declaring_mh_condition is null or nhs_new_recruits is null then 'missing'
        end as observation_status,
        coalesce(nhs_recruits_declaring_mh_condition is null or nhs_new_recruits is null, false) as is_suppressed,
        source_file
    from commissioning
),

kpis_unioned as (
    select * from score_items
    union all
    select * from compute_recruits
),

final as (
    select
        cast('commissioner_returns' as {{ dbt.type_string() }}) as source,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(checklist_item as {{ dbt.type_string() }}) as checklist_item,
        cast('local_authority' as {{ dbt.type_string() }}) as area_type,
        cast(la_code as {{ dbt.type_string() }}) as area_code,
        cast(null as {{ dbt.type_string() }}) as area_name,
        cast(
            {{ dbt.concat(["'Commissioner return FY '", "cast(financial_year as " ~ dbt.type_string() ~ ")"]) }}
            as {{ dbt.type_string() }}
        ) as reference_period_name,
        cast({{ dbt.concat(["cast(financial_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
            as reference_start_date,
        cast({{ dbt.concat(["cast(financial_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date)
            as reference_end_date,
        cast('financial_year' as {{ dbt.type_string() }}) as period_type,
        cast({{ dbt.concat(["cast(financial_year as " ~ dbt.type_string() ~ ")", "'-04-01'"]) }} as date)
            as period_start,
        cast({{ dbt.concat(["cast(financial_year + 1 as " ~ dbt.type_string() ~ ")", "'-03-31'"]) }} as date)
            as period_end,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(value as {{ dbt.type_numeric() }}) as value,
        cast(source_variable as {{ dbt.type_string() }}) as source_variable,
        cast(null as {{ dbt.type_string() }}) as series,
        cast(observation_status as {{ dbt.type_string() }}) as observation_status,
        is_suppressed,
        false as is_break_in_series,
        cast(source_file as {{ dbt.type_string() }}) as source_file
    from kpis_unioned
)

select * from final
