/*
    Employment specialist whole-time equivalents per provider per staff month
    (kpi-catalogue.md, es_wte): the sum of wte over staff rows with role
    employment_specialist. Team leaders are not counted; a month whose staff rows are
    all team leaders has es_wte 0 (so caseload_per_es is null, never a division error).
*/
with

staff as (
    select * from {{ ref('int_staff_latest') }}
),

summed as (
    select
        provider_code,
        staff_month,
        month_start_date,
        sum(case when role = 'employment_specialist' then wte else 0 end) as es_wte,
        sum(case when role = 'employment_specialist' then 1 else 0 end) as employment_specialists
    from staff
    group by
        provider_code,
        staff_month,
        month_start_date
),

final as (
    select
        provider_code,
        staff_month,
        cast(month_start_date as date) as month_start_date,
        cast(es_wte as {{ dbt.type_numeric() }}) as es_wte,
        cast(employment_specialists as integer) as employment_specialists
    from summed
)

select * from final
