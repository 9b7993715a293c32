/* Reporting periods (month, quarter, financial year) covered by the loaded data. One row per period type per period start. */
with

periods as (
    select * from {{ ref('int_periods') }}
),

final as (
    select
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(financial_year as integer) as financial_year,
        cast(
            case
                when period_type = 'financial_year'
                    then 'FY ' || cast(financial_year as {{ dbt.type_string() }}) || '-'
                        || {{ dbt.right("cast(financial_year + 1 as " ~ dbt.type_string() ~ ")", 2) }}
                else cast(period_start as {{ dbt.type_string() }})
            end as {{ dbt.type_string() }}
        ) as period_label,
        cast(days_in_period as integer) as days_in_period,
        is_complete
    from periods
)

select * from final
