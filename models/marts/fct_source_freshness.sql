/*
    Freshness from the data: for each source, the end of the latest period its rows
    describe, and how many months that is behind the as-of date. The one freshness
    mechanism (the audit's freshness__sources suite reads it; no dbt source freshness).
    Steps:
    1. The latest period end in each source's rows: provider returns' return month
       (its last day), MHSDS reporting period end, DWP caseload month (its last day),
       NOMIS APS window end month (its last day), CQC survey year (31 December) and
       the commissioner return's financial year (31 March after it). A file name's
       month plays no part, and a source whose rows are all unusable has none.
    2. Every source gets a row, with no latest period when it has no rows at all.
    3. months_behind: from the latest period's month to the as-of month; allowed by
       the publication cycle (provider returns 1, MHSDS 4, DWP 9, APS, CQC and
       commissioner returns 27); is_fresh when within it.
    One row per source.
*/
with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

latest_periods as (
    select
        'provider_returns' as source_name,
        max(cast({{ dbt.last_day("cast(" ~ dbt.concat(["return_month", "'-01'"]) ~ " as date)", "month") }} as date))
            as latest_period_end
    from {{ ref('stg_provider_returns__referrals') }}
    union all
    select
        'mhsds' as source_name,
        max(reporting_period_end_date) as latest_period_end
    from {{ ref('stg_mhsds__measures') }}
    union all
    select
        'dwp_esa' as source_name,
        max(cast({{ dbt.last_day('caseload_month_start_date', 'month') }} as date)) as latest_period_end
    from {{ ref('stg_dwp_esa__claimants') }}
    union all
    select
        'nomis_aps' as source_name,
        max(period_end_date) as latest_period_end
    from {{ ref('stg_nomis_aps__observations') }}
    union all
    select
        'cqc_cmh_survey' as source_name,
        max(cast(cast(survey_year as {{ dbt.type_string() }}) || '-12-31' as date)) as latest_period_end
    from {{ ref('stg_cqc_cmh_survey__trust_results') }}
    union all
    select
        'commissioner_returns' as source_name,
        max(cast(cast(financial_year + 1 as {{ dbt.type_string() }}) || '-03-31' as date)) as latest_period_end
    from {{ ref('stg_commissioner_returns__commissioning') }}
),

months_counted as (
    select
        latest_periods.source_name,
        latest_periods.latest_period_end,
        as_of.as_of_date,
        case
            when latest_periods.latest_period_end is not null
                then {{ dbt.datediff(
                    dbt.date_trunc('month', 'latest_periods.latest_period_end'),
                    dbt.date_trunc('month', 'as_of.as_of_date'),
                    'month'
                ) }}
        end as months_behind,
        case latest_periods.source_name
            when 'provider_returns' then 1
            when 'mhsds' then 4
            when 'dwp_esa' then 9
            else 27
        end as allowed_months_behind
    from latest_periods
    cross join as_of
),

final as (
    select
        cast(source_name as {{ dbt.type_string() }}) as source_name,
        cast(latest_period_end as date) as latest_period_end,
        cast(as_of_date as date) as as_of_date,
        cast(months_behind as integer) as months_behind,
        cast(allowed_months_behind as integer) as allowed_months_behind,
        coalesce(months_behind <= allowed_months_behind, false) as is_fresh
    from months_counted
)

select * from final
