/*
    The fidelity review that stands on each period end (kpi-catalogue.md,
    fidelity_total and fidelity_band; 25-item IPS fidelity scale).
    Steps:
    1. Score every review: fidelity_total = item_01 + ... + item_25 (25-125). A review
       with a missing item cannot be scored and is left out.
    2. The dates a point-in-time KPI is taken on: every period's effective end (the
       period end, or the as-of date while the period is not complete).
    3. For each provider and date d, the reviews dated on or before d and at most 24
       months old (review_date >= d minus 24 months).
    4. The latest of them wins (latest review_date; on the same day an external review
       before a self review, then the highest review_id).
    5. Band the total: exemplary 115-125, good 100-114, fair 74-99, not_ips 25-73.
*/
with

reviews as (
    select * from {{ ref('int_fidelity_reviews_latest') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

score_reviews as (
    select
        provider_code,
        review_id,
        review_date,
        review_type,
        {% for item_number in range(1, 26) -%}
        item_{{ '%02d' % item_number }}{{ ' +' if not loop.last else ' as fidelity_total' }}
        {% endfor %}
    from reviews
),

list_period_end_dates as (
    select distinct
        cast(period_effective_end as date) as period_end_date
    from periods
),

select_reviews_in_window as (
    select
        score_reviews.provider_code,
        list_period_end_dates.period_end_date,
        score_reviews.review_id,
        score_reviews.review_date,
        score_reviews.review_type,
        score_reviews.fidelity_total
    from score_reviews
    inner join list_period_end_dates
        on score_reviews.review_date <= list_period_end_dates.period_end_date
        and score_reviews.review_date
        >= cast({{ dbt.dateadd('month', -24, 'list_period_end_dates.period_end_date') }} as date)
    where score_reviews.fidelity_total is not null
),

rank_reviews as (
    select
        *,
        row_number() over (
            partition by provider_code, period_end_date
            order by
                review_date desc,
                case when review_type = 'external' then 0 else 1 end,
                review_id desc
        ) as review_rank
    from select_reviews_in_window
),

band_latest_reviews as (
    select
        provider_code,
        period_end_date,
        review_id,
        review_date,
        review_type,
        fidelity_total,
        case
            when fidelity_total >= 115 then 'exemplary'
            when fidelity_total >= 100 then 'good'
            when fidelity_total >= 74 then 'fair'
            else 'not_ips'
        end as fidelity_band
    from rank_reviews
    where review_rank = 1
),

final as (
    select
        provider_code,
        cast(period_end_date as date) as period_end_date,
        review_id,
        cast(review_date as date) as review_date,
        review_type,
        cast(fidelity_total as integer) as fidelity_total,
        cast(fidelity_band as {{ dbt.type_string() }}) as fidelity_band
    from band_latest_reviews
)

select * from final
