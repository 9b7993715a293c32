/*
    Section E value for money (NDTi, IPSG, ED) for every provider and England: each
    KPI's numerator, denominator and value (the one model holding these rules;
    fct_value_for_money only shapes the rows).
    Steps:
    1. Sum the populations per organisation and period (kpi_population_rollup), England
       from England's rows.
    2. Counts and rates from the rolled-up populations: job_outcomes and
       job_outcome_rate (every period), carried_over (financial years).
    3. Per-WTE ratios (financial years): active clients, job starts and new referrals
       over the mean monthly employment-specialist WTE of the year (months up to the
       as-of date); null when the mean WTE is 0 or missing. England's mean WTE is the
       mean of England's monthly totals.
    4. cost_per_job_outcome (financial years): the ips contract value over the year's
       job outcomes (null for 0 outcomes); England's from the providers that reported
       finance for the year.
    One row per organisation per period per KPI.
*/
with

rolled_up as (
    {{ kpi_population_rollup(ref('int_value_for_money_populations')) }}
),

es_wte_by_month as (
    select * from {{ ref('int_es_wte_by_month') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

finance as (
    select * from {{ ref('int_finance_latest') }}
    where component = 'ips'
),

financial_years as (
    select * from periods
    where period_type = 'financial_year'
),

provider_wte_by_month as (
    select
        es_wte_by_month.provider_code as org_code,
        es_wte_by_month.month_start_date,
        es_wte_by_month.es_wte
    from es_wte_by_month
),

england_wte_by_month as (
    select
        'ENG' as org_code,
        month_start_date,
        sum(es_wte) as es_wte
    from es_wte_by_month
    group by 1, 2
),

wte_by_month as (
    select * from provider_wte_by_month
    union all
    select * from england_wte_by_month
),

mean_wte_by_year as (
    select
        wte_by_month.org_code,
        financial_years.period_start,
        avg(wte_by_month.es_wte) as mean_es_wte
    from wte_by_month
    inner join financial_years
        on wte_by_month.month_start_date between financial_years.period_start and financial_years.period_effective_end
    group by 1, 2
),

counts_and_rates as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        numerator,
        denominator,
        value
    from rolled_up
    where kpi_code in ('job_outcomes', 'job_outcome_rate')
        or (kpi_code = 'carried_over' and period_type = 'financial_year')
),

per_wte_ratios as (
    select
        rolled_up.org_code,
        rolled_up.org_level,
        rolled_up.period_type,
        rolled_up.period_start,
        rolled_up.period_end,
        rolled_up.kpi_code,
        rolled_up.breakdown_type,
        rolled_up.breakdown_value,
        rolled_up.numerator,
        mean_wte_by_year.mean_es_wte as denominator,
        case
            when mean_wte_by_year.mean_es_wte > 0 then rolled_up.numerator / mean_wte_by_year.mean_es_wte
        end as value
    from rolled_up
    left join mean_wte_by_year
        on rolled_up.org_code = mean_wte_by_year.org_code
        and rolled_up.period_start = mean_wte_by_year.period_start
    where rolled_up.period_type = 'financial_year'
        and rolled_up.kpi_code in ('active_clients_per_wte', 'job_starts_per_wte', 'new_referrals_per_wte')
),

provider_costs as (
    select
        rolled_up.org_code,
        rolled_up.org_level,
        rolled_up.period_type,
        rolled_up.period_start,
        rolled_up.period_end,
        finance.contract_value_gbp,
        rolled_up.numerator as job_outcomes
    from rolled_up
    inner join finance
        on rolled_up.org_code = finance.provider_code
        and rolled_up.period_start = cast(cast(finance.financial_year as {{ dbt.type_string() }}) || '-04-01' as date)
    where rolled_up.kpi_code = 'job_outcomes'
        and rolled_up.period_type = 'financial_year'
        and rolled_up.org_level = 'provider'
),

england_costs as (
    select
        'ENG' as org_code,
        'england' as org_level,
        period_type,
        period_start,
        period_end,
        sum(contract_value_gbp) as contract_value_gbp,
        sum(job_outcomes) as job_outcomes
    from provider_costs
    group by 1, 2, 3, 4, 5
),

costs_unioned as (
    select * from provider_costs
    union all
    select * from england_costs
),

costs_per_outcome as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'cost_per_job_outcome' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        contract_value_gbp as numerator,
        job_outcomes as denominator,
        case when job_outcomes > 0 then contract_value_gbp / job_outcomes end as value
    from costs_unioned
),

kpis_unioned as (
    select * from counts_and_rates
    union all
    select * from per_wte_ratios
    union all
    select * from costs_per_outcome
),

final as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(value as {{ dbt.type_numeric() }}) as value
    from kpis_unioned
)

select * from final
