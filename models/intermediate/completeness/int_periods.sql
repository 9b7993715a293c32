/*
    Steps:
    1. A month spine from the calendar vars.
    2. Each month's quarter and financial year (1 April - 31 March, named by the
       calendar year it starts: FY 2024 = 2024-04-01..2025-03-31).
    3. One row per month, quarter and financial year that overlaps the loaded data
       (from the first return month to the as-of date).
*/
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

month_spine as (
    {{ dbt.date_spine('month', "cast('" ~ var('calendar_start') ~ "' as date)", "cast('" ~ var('calendar_end') ~ "' as date)") }}
),

months_classified as (
    select
        cast(date_month as date) as month_start_date,
        cast(
            case
                when extract(month from date_month) >= 4 then extract(year from date_month)
                else extract(year from date_month) - 1
            end as integer
        ) as financial_year,
        cast({{ dbt.date_trunc('quarter', 'date_month') }} as date) as quarter_start_date
    from month_spine
),

periods_unioned as (
    select distinct
        'month' as period_type,
        month_start_date as period_start,
        cast({{ dbt.last_day('month_start_date', 'month') }} as date) as period_end,
        financial_year
    from months_classified
    union all
    select distinct
        'quarter' as period_type,
        quarter_start_date as period_start,
        cast({{ dbt.last_day('quarter_start_date', 'quarter') }} as date) as period_end,
        financial_year
    from months_classified
    union all
    select distinct
        'financial_year' as period_type,
        cast(cast(financial_year as {{ dbt.type_string() }}) || '-04-01' as date) as period_start,
        cast(cast(financial_year + 1 as {{ dbt.type_string() }}) || '-03-31' as date) as period_end,
        financial_year
    from months_classified
),

final as (
    select
        periods_unioned.period_type,
        periods_unioned.period_start,
        periods_unioned.period_end,
        periods_unioned.financial_year,
        {{ dbt.datediff('periods_unioned.period_start', 'periods_unioned.period_end', 'day') }} + 1
            as days_in_period,
        periods_unioned.period_end <= as_of.as_of_date as is_complete,
        case
            when periods_unioned.period_end <= as_of.as_of_date then periods_unioned.period_end
            else as_of.as_of_date
        end as period_effective_end,
        as_of.as_of_date
    from periods_unioned
    cross join as_of
    where periods_unioned.period_end >= as_of.first_month_start_date
        and periods_unioned.period_start <= as_of.as_of_date
)

select * from final
