/*
    Section D KPIs over a per-period population (kpi-catalogue.md, "D - outcomes"):
    one row per referral per period per KPI and breakdown it belongs to, with its
    numerator (0 or 1) and denominator (1 for a rate, null for a count). A quarter's
    or a year's population is not the sum of its months' (a referral open all year is
    one referral), so the rows are placed in each period here and rolled up, without
    re-dating, by kpi_population_rollup (int_outcome_populations_rolled_up).
    Steps:
    1. Referrals with a job start (a new job) between period_start and
       period_effective_end (the period end, or the as-of date while the period is not
       complete).
    2. employment_rate_out_of_work: engaged referrals (vocational_profile_date not
       null) not employed at referral (employment_status other than '01'; an unknown
       status is not employed), with vocational_profile_date on or before the period
       end and open on some day of the period; numerator those with a job start in
       the period (step 1).
    3. care_plan_employment_action_rate: accepted referrals open on the period end
       with a known care_plan_employment_action (Y or N); numerator Y.
       care_plan_retention_action_rate: the same for care_plan_retention_action over
       those employed at referral (employment_status '01').
    4. education_starts: distinct referrals with an education start_date in the
       period, headline and by setting and by level (RQF level); a referral with two
       courses in the period counts once in the headline.
*/
with

referrals_open as (
    select * from {{ ref('int_referrals_open_in_periods') }}
),

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

jobs as (
    select * from {{ ref('int_jobs_classified') }}
    where is_new_job
),

education as (
    select * from {{ ref('int_education_latest') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

find_referrals_with_job_start_in_period as (
    select distinct
        jobs.provider_code,
        jobs.referral_id,
        periods.period_type,
        periods.period_start
    from jobs
    inner join periods
        on jobs.start_date >= periods.period_start
        and jobs.start_date <= periods.period_effective_end
),

attach_referral_details as (
    select
        referrals_open.provider_code,
        referrals_open.referral_id,
        referrals_open.period_type,
        referrals_open.period_start,
        referrals_open.period_end,
        referrals_open.period_effective_end,
        referrals_open.is_open_on_period_end,
        referrals.vocational_profile_date,
        referrals.is_employed_at_referral,
        referrals.has_care_plan_employment_action,
        referrals.has_care_plan_retention_action
    from referrals_open
    inner join referrals
        on referrals_open.provider_code = referrals.provider_code
        and referrals_open.referral_id = referrals.referral_id
),

select_out_of_work_population as (
    select
        attach_referral_details.provider_code,
        attach_referral_details.referral_id,
        attach_referral_details.period_type,
        attach_referral_details.period_start,
        attach_referral_details.period_end,
        case
            when find_referrals_with_job_start_in_period.referral_id is not null then 1
            else 0
        end as has_job_start_in_period
    from attach_referral_details
    left join find_referrals_with_job_start_in_period
        on attach_referral_details.provider_code = find_referrals_with_job_start_in_period.provider_code
        and attach_referral_details.referral_id = find_referrals_with_job_start_in_period.referral_id
        and attach_referral_details.period_type = find_referrals_with_job_start_in_period.period_type
        and attach_referral_details.period_start = find_referrals_with_job_start_in_period.period_start
    where attach_referral_details.vocational_profile_date <= attach_referral_details.period_effective_end
        and not attach_referral_details.is_employed_at_referral
),

select_open_on_period_end as (
    select
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        is_employed_at_referral,
        has_care_plan_employment_action,
        has_care_plan_retention_action
    from attach_referral_details
    where is_open_on_period_end
),

place_education_starts_in_periods as (
    select
        education.provider_code,
        education.referral_id,
        education.setting,
        education.rqf_level,
        periods.period_type,
        periods.period_start,
        periods.period_end
    from education
    inner join periods
        on education.start_date >= periods.period_start
        and education.start_date <= periods.period_effective_end
),

union_populations as (
    select
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'employment_rate_out_of_work' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        cast(has_job_start_in_period as {{ dbt.type_numeric() }}) as numerator,
        cast(1 as {{ dbt.type_numeric() }}) as denominator
    from select_out_of_work_population
    union all
    select
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'care_plan_employment_action_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        case when has_care_plan_employment_action then 1 else 0 end as numerator,
        1 as denominator
    from select_open_on_period_end
    where has_care_plan_employment_action is not null
    union all
    select
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'care_plan_retention_action_rate' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        case when has_care_plan_retention_action then 1 else 0 end as numerator,
        1 as denominator
    from select_open_on_period_end
    where is_employed_at_referral
        and has_care_plan_retention_action is not null
    union all
    select distinct
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'education_starts' as kpi_code,
        null as breakdown_type,
        null as breakdown_value,
        1 as numerator,
        null as denominator
    from place_education_starts_in_periods
    union all
    select distinct
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'education_starts' as kpi_code,
        'setting' as breakdown_type,
        coalesce(setting, 'unknown') as breakdown_value,
        1 as numerator,
        null as denominator
    from place_education_starts_in_periods
    union all
    select distinct
        provider_code,
        referral_id,
        period_type,
        period_start,
        period_end,
        'education_starts' as kpi_code,
        'level' as breakdown_type,
        coalesce(rqf_level, 'unknown') as breakdown_value,
        1 as numerator,
        null as denominator
    from place_education_starts_in_periods
),

final as (
    select * from union_populations
)

select * from final
