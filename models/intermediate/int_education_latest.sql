/*
    The latest version of each education (latest return wins; deleted records withdrawn).
    A education whose referral has been withdrawn (deleted) is withdrawn with it.
*/
with

versions as (
    {{ latest_version(ref('stg_provider_returns__education'), ['provider_code', 'education_id']) }}
),

referrals as (
    select * from {{ ref('int_referrals_latest') }}
),

final as (
    select versions.*
    from versions
    inner join referrals
        on versions.provider_code = referrals.provider_code
        and versions.referral_id = referrals.referral_id
)

select * from final
