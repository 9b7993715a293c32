/*
    The current version of each referrals record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'referral_id']) }}

{{ current_versions(ref('stg_provider_returns__referrals'), ['provider_code', 'referral_id']) }}
