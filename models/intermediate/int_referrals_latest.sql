/* The latest version of each referral (latest return wins; deleted records withdrawn). */
with

versions as (
    {{ latest_version(ref('stg_provider_returns__referrals'), ['provider_code', 'referral_id']) }}
),

final as (
    select * from versions
)

select * from final
