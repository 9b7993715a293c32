/* The latest version of each fidelity_review (latest return wins; deleted records withdrawn). */
with

versions as (
    select * from {{ ref('int_fidelity_reviews_current') }}
    where record_status <> 'deleted'
),

final as (
    select * from versions
)

select * from final
