/*
    The latest version of each contact (latest return wins; deleted records withdrawn).
    A contact whose referral has been withdrawn (deleted) is withdrawn with it.
*/
with

versions as (
    select * from {{ ref('int_contacts_current') }}
    where record_status <> 'deleted'
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
