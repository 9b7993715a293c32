/* The latest version of each referral (latest return wins; deleted records withdrawn). */
with

versions as (
    select * from {{ ref('int_referrals_current') }}
    where record_status <> 'deleted'
),

final as (
    select * from versions
)

select * from final
