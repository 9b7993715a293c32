/* The latest version of each fidelity_review (latest return wins; deleted records withdrawn). */
with

versions as (
    {{ latest_version(ref('stg_provider_returns__fidelity_reviews'), ['provider_code', 'review_id']) }}
),

final as (
    select * from versions
)

select * from final
