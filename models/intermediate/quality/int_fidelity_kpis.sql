/*
    Section C fidelity and quality scores (kpi-catalogue.md, "C - quality and
    fidelity") for every provider, per month, quarter and financial year, in the
    scorecard shape. The registry (dim_kpis.model) places these KPIs' rules here.
    England is left out: a fidelity or quality score belongs to one service and has
    no meaning summed or averaged over services.
    Steps:
    1. Date the provider scaffold (int_provider_periods, org_level provider): each
       period's effective end d (the period end, or the as-of date while the period
       is not complete).
    2. fidelity_total: the score of the review standing on d
       (int_fidelity_reviews_at_period_end: latest on or before d, at most 24 months
       old). Every provider period gets the headline row; it is null, never 0, when
       no review is in the window.
    3. fidelity_band: the same review's total on a row with breakdown_type band and
       breakdown_value its band (exemplary, good, fair, not_ips).
    4. scmh_quality_item: one row per section C item of the latest quality assessment
       on or before d, breakdown_type item, breakdown_value the item name.
    Scores are not counts: numerator and denominator are null and value carries the
    score, so disclosure control never mistakes a score of 1-4 for a small count.
*/
with

scaffold as (
    select * from {{ ref('int_provider_periods') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

fidelity_reviews as (
    select * from {{ ref('int_fidelity_reviews_at_period_end') }}
),

quality_items as (
    select * from {{ ref('int_quality_items_at_period_end') }}
),

date_provider_scaffold as (
    select
        scaffold.org_code,
        scaffold.org_level,
        scaffold.period_type,
        scaffold.period_start,
        scaffold.period_end,
        periods.period_effective_end
    from scaffold
    inner join periods
        on scaffold.period_type = periods.period_type
        and scaffold.period_start = periods.period_start
    where scaffold.org_level = 'provider'
),

attach_fidelity_reviews as (
    select
        date_provider_scaffold.org_code,
        date_provider_scaffold.org_level,
        date_provider_scaffold.period_type,
        date_provider_scaffold.period_start,
        date_provider_scaffold.period_end,
        fidelity_reviews.review_id,
        fidelity_reviews.fidelity_total,
        fidelity_reviews.fidelity_band
    from date_provider_scaffold
    left join fidelity_reviews
        on date_provider_scaffold.org_code = fidelity_reviews.provider_code
        and date_provider_scaffold.period_effective_end = fidelity_reviews.period_end_date
),

attach_quality_items as (
    select
        date_provider_scaffold.org_code,
        date_provider_scaffold.org_level,
        date_provider_scaffold.period_type,
        date_provider_scaffold.period_start,
        date_provider_scaffold.period_end,
        quality_items.item_name,
        quality_items.score
    from date_provider_scaffold
    inner join quality_items
        on date_provider_scaffold.org_code = quality_items.provider_code
        and date_provider_scaffold.period_effective_end = quality_items.period_end_date
),

kpis_unioned as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'fidelity_total' as kpi_code,
        cast(null as {{ dbt.type_string() }}) as breakdown_type,
        cast(null as {{ dbt.type_string() }}) as breakdown_value,
        fidelity_total as value
    from attach_fidelity_reviews
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'fidelity_band' as kpi_code,
        'band' as breakdown_type,
        fidelity_band as breakdown_value,
        fidelity_total as value
    from attach_fidelity_reviews
    where review_id is not null
    union all
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        'scmh_quality_item' as kpi_code,
        'item' as breakdown_type,
        item_name as breakdown_value,
        score as value
    from attach_quality_items
),

final as (
    select
        org_code,
        org_level,
        period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(kpi_code as {{ dbt.type_string() }}) as kpi_code,
        cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(null as {{ dbt.type_numeric() }}) as numerator,
        cast(null as {{ dbt.type_numeric() }}) as denominator,
        cast(value as {{ dbt.type_numeric() }}) as value
    from kpis_unioned
)

select * from final
