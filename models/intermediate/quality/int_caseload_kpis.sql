/*
    Section C caseload and employer-engagement KPIs (kpi-catalogue.md, "C - quality
    and fidelity") whose figures are not sums of dated events: each KPI's numerator,
    denominator and value, for every provider, ICB, NHS England region and England,
    per month, quarter and financial year, in the scorecard shape. The registry
    (dim_kpis.model) places these KPIs' rules here.
    Steps:
    1. Date the scaffold (int_provider_periods): each period's effective end d (the
       period end, or the as-of date while the period is not complete), the days from
       the period start to d, and the month d falls in (the period's last month).
    2. active_caseload: referrals in int_active_caseload_at_period_end on d, counted
       per provider.
    3. es_wte: wte of employment specialists in the period's last month, per provider.
    4. Employer contacts: employer_face_to_face contacts (competitive or not) dated
       from the period start to d, per provider.
    5. Each ICB, region and England sums its providers' (int_org_membership) caseload,
       wte and contacts over the providers in its scaffold period (a provider's figures
       count only in its reporting window).
    6. caseload_per_es = active_caseload / es_wte; employer_contacts_per_es_week =
       employer contacts / (es_wte x days / 7). Both are null when es_wte is 0 or
       missing.
    7. retention_share_of_caseload: the active caseload members employed at referral
       (is_employed_at_referral) over the active caseload; null when the caseload is 0.
       IPSG target: at most 15%.
    8. days_to_first_employer_contact: the median gap over the referrals whose first
       face-to-face competitive employer contact falls in the period (a provider's
       only in its scaffold periods), denominator the number of those referrals; an
       ICB's, region's or England's median is taken over all its own referrals, never
       from provider medians.
*/
with

scaffold as (
    select * from {{ ref('int_provider_periods') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

active_caseload as (
    select * from {{ ref('int_active_caseload_at_period_end') }}
),

es_wte_by_month as (
    select * from {{ ref('int_es_wte_by_month') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

first_employer_contacts as (
    select * from {{ ref('int_first_employer_contacts') }}
),

memberships as (
    select * from {{ ref('int_org_membership') }}
),

date_scaffold as (
    select
        scaffold.org_code,
        scaffold.org_level,
        scaffold.period_type,
        scaffold.period_start,
        scaffold.period_end,
        periods.period_effective_end,
        {{ dbt.datediff('periods.period_start', 'periods.period_effective_end', 'day') }} + 1 as days_counted,
        cast({{ dbt.date_trunc('month', 'periods.period_effective_end') }} as date) as last_month_start_date
    from scaffold
    inner join periods
        on scaffold.period_type = periods.period_type
        and scaffold.period_start = periods.period_start
),

count_active_caseload as (
    select
        provider_code as org_code,
        period_end_date,
        count(*) as active_caseload,
        sum(case when is_employed_at_referral then 1 else 0 end) as employed_at_referral
    from active_caseload
    group by
        provider_code,
        period_end_date
),

select_es_wte as (
    select
        provider_code as org_code,
        month_start_date,
        es_wte
    from es_wte_by_month
),

count_employer_contacts as (
    select
        contacts.provider_code as org_code,
        periods.period_type,
        periods.period_start,
        count(*) as employer_contacts
    from contacts
    inner join periods
        on contacts.contact_date between periods.period_start and periods.period_effective_end
    where contacts.contact_type = 'employer_face_to_face'
    group by
        contacts.provider_code,
        periods.period_type,
        periods.period_start
),

measure_providers as (
    select
        date_scaffold.org_code,
        date_scaffold.org_level,
        date_scaffold.period_type,
        date_scaffold.period_start,
        date_scaffold.period_end,
        date_scaffold.days_counted,
        coalesce(count_active_caseload.active_caseload, 0) as active_caseload,
        coalesce(count_active_caseload.employed_at_referral, 0) as employed_at_referral,
        coalesce(select_es_wte.es_wte, 0) as es_wte,
        coalesce(count_employer_contacts.employer_contacts, 0) as employer_contacts
    from date_scaffold
    left join count_active_caseload
        on date_scaffold.org_code = count_active_caseload.org_code
        and date_scaffold.period_effective_end = count_active_caseload.period_end_date
    left join select_es_wte
        on date_scaffold.org_code = select_es_wte.org_code
        and date_scaffold.last_month_start_date = select_es_wte.month_start_date
    left join count_employer_contacts
        on date_scaffold.org_code = count_employer_contacts.org_code
        and date_scaffold.period_type = count_employer_contacts.period_type
        and date_scaffold.period_start = count_employer_contacts.period_start
    where date_scaffold.org_level = 'provider'
),

place_providers_in_parents as (
    select
        memberships.org_code as parent_org_code,
        memberships.org_level as parent_org_level,
        measure_providers.*
    from measure_providers
    inner join memberships
        on measure_providers.org_code = memberships.provider_code
    where memberships.org_level <> 'provider'
),

measure_parents as (
    select
        date_scaffold.org_code,
        date_scaffold.org_level,
        date_scaffold.period_type,
        date_scaffold.period_start,
        date_scaffold.period_end,
        date_scaffold.days_counted,
        coalesce(sum(place_providers_in_parents.active_caseload), 0) as active_caseload,
        coalesce(sum(place_providers_in_parents.employed_at_referral), 0) as employed_at_referral,
        coalesce(sum(place_providers_in_parents.es_wte), 0) as es_wte,
        coalesce(sum(place_providers_in_parents.employer_contacts), 0) as employer_contacts
    from date_scaffold
    left join place_providers_in_parents
        on date_scaffold.org_code = place_providers_in_parents.parent_org_code
        and date_scaffold.org_level = place_providers_in_parents.parent_org_level
        and date_scaffold.period_type = place_providers_in_parents.period_type
        and date_scaffold.period_start = place_providers_in_parents.period_start
    where date_scaffold.org_level <> 'provider'
    group by
        date_scaffold.org_code,
        date_scaffold.org_level,
        date_scaffold.period_type,
        date_scaffold.period_start,
        date_scaffold.period_end,
        date_scaffold.days_counted
),

measure_organisations as (
    select * from measure_providers
    union all
    select * from measure_parents
),

place_first_contacts_in_periods as (
    select
        first_employer_contacts.provider_code,
        periods.period_type,
        periods.period_start,
        first_employer_contacts.days_to_first_employer_contact
    from first_employer_contacts
    inner join periods
        on first_employer_contacts.first_employer_contact_date
        between periods.period_start and periods.period_end
    -- only in the provider's scaffold periods, as England's median is taken over the same referrals
    inner join scaffold
        on first_employer_contacts.provider_code = scaffold.org_code
        and periods.period_type = scaffold.period_type
        and periods.period_start = scaffold.period_start
),

take_median_days as (
    select
        memberships.org_code,
        memberships.org_level,
        place_first_contacts_in_periods.period_type,
        place_first_contacts_in_periods.period_start,
        count(*) as referrals_counted,
        {{ median('place_first_contacts_in_periods.days_to_first_employer_contact') }} as median_days
    from place_first_contacts_in_periods
    inner join memberships
        on place_first_contacts_in_periods.provider_code = memberships.provider_code
    group by
        memberships.org_code,
        memberships.org_level,
        place_first_contacts_in_periods.period_type,
        place_first_contacts_in_periods.period_start
),

fill_median_days as (
    select
        date_scaffold.org_code,
        date_scaffold.org_level,
        date_scaffold.period_type,
        date_scaffold.period_start,
        date_scaffold.period_end,
        coalesce(take_median_days.referrals_counted, 0) as referrals_counted,
        take_median_days.median_days
    from date_scaffold
    left join take_median_days
        on date_scaffold.org_code = take_median_days.org_code
        and date_scaffold.org_level = take_median_days.org_level
        and date_scaffold.period_type = take_median_days.period_type
        and date_scaffold.period_start = take_median_days.period_start
),

kpis_unioned as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'active_caseload' as kpi_code,
        cast(active_caseload as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        cast(active_caseload as {{ dbt.type_numeric() }}) as value
    from measure_organisations
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'es_wte' as kpi_code,
        cast(es_wte as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        cast(es_wte as {{ dbt.type_numeric() }}) as value
    from measure_organisations
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'caseload_per_es' as kpi_code,
        cast(active_caseload as {{ dbt.type_numeric() }}) as numerator,
        cast(es_wte as {{ dbt.type_numeric() }}) as denominator,
        case
            when es_wte = 0 then null
            else cast(active_caseload as {{ dbt.type_numeric() }}) / es_wte
        end as value
    from measure_organisations
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'employer_contacts_per_es_week' as kpi_code,
        cast(employer_contacts as {{ dbt.type_numeric() }}) as numerator,
        cast(es_wte * days_counted / 7 as {{ dbt.type_numeric() }}) as denominator,
        case
            when es_wte = 0 then null
            else cast(employer_contacts as {{ dbt.type_numeric() }}) * 7 / (es_wte * days_counted)
        end as value
    from measure_organisations
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'retention_share_of_caseload' as kpi_code,
        cast(employed_at_referral as {{ dbt.type_numeric() }}) as numerator,
        cast(active_caseload as {{ dbt.type_numeric() }}) as denominator,
        case
            when active_caseload = 0 then null
            else cast(employed_at_referral as {{ dbt.type_numeric() }}) / active_caseload
        end as value
    from measure_organisations
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'days_to_first_employer_contact' as kpi_code,
        cast(null as {{ dbt.type_numeric() }}) as numerator,
        cast(referrals_counted as {{ dbt.type_numeric() }}) as denominator,
        cast(median_days as {{ dbt.type_numeric() }}) as value
    from fill_median_days
),

final as (
    select
        org_code,
        org_level,
        period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        cast(numerator as {{ dbt.type_numeric() }}) as numerator,
        cast(denominator as {{ dbt.type_numeric() }}) as denominator,
        cast(value as {{ dbt.type_numeric() }}) as value
    from kpis_unioned
)

select * from final
