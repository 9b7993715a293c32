/*
    Section E value for money (NDTi, IPSG, ED) for every provider, ICB, NHS England
    region and England: each
    KPI's numerator, denominator and value (the one model holding these rules;
    fct_value_for_money only shapes the rows).
    Steps:
    1. Sum the populations per organisation and period (kpi_population_rollup), each
       ICB, region and England from its own providers' rows.
    2. Counts and rates from the rolled-up populations: job_outcomes and
       job_outcome_rate (every period), carried_over (financial years).
    3. Per-WTE ratios (financial years): active clients, job starts and new referrals
       over the mean monthly employment-specialist WTE of the year (months up to the
       as-of date); null when the mean WTE is 0 or missing. An ICB's, region's or
       England's mean WTE is the mean of its monthly totals (the sum of its providers'
       WTE each month, int_org_membership), never a mean of provider means.
    4. cost_per_job_outcome (financial years): the ips contract value over the year's
       job outcomes (null for 0 outcomes); an ICB's, region's or England's from its
       providers that reported finance for the year (their contract values over their
       job outcomes).
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

memberships as (
    select * from {{ ref('int_org_membership') }}
),

financial_years as (
    select * from periods
    where period_type = 'financial_year'
),

wte_by_month as (
    select
        memberships.org_code,
        memberships.org_level,
        es_wte_by_month.month_start_date,
        sum(es_wte_by_month.es_wte) as es_wte
    from es_wte_by_month
    inner join memberships
        on es_wte_by_month.provider_code = memberships.provider_code
    group by 1, 2, 3
),

mean_wte_by_year as (
    select
        wte_by_month.org_code,
        wte_by_month.org_level,
        financial_years.period_start,
        avg(wte_by_month.es_wte) as mean_es_wte
    from wte_by_month
    inner join financial_years
        on wte_by_month.month_start_date between financial_years.period_start and financial_years.period_effective_end
    group by 1, 2, 3
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
        and rolled_up.org_level = mean_wte_by_year.org_level
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

parent_costs as (
    select
        memberships.org_code,
        memberships.org_level,
        provider_costs.period_type,
        provider_costs.period_start,
        provider_costs.period_end,
        sum(provider_costs.contract_value_gbp) as contract_value_gbp,
        sum(provider_costs.job_outcomes) as job_outcomes
    from provider_costs
    inner join memberships
        on provider_costs.org_code = memberships.provider_code
    where memberships.org_level <> 'provider'
    group by 1, 2, 3, 4, 5
),

costs_unioned as (
    select * from provider_costs
    union all
    select * from parent_costs
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
