/*
    The current version of each referrals record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
    It runs after int_contacts_current (the depends_on below), never beside it: the two are
    the largest rankings of the build (every version of every record), and one after the
    other they never compete for the same memory cap (benchmarks/README.md, "Memory").
*/
-- depends_on: {{ ref('int_contacts_current') }}
{{ current_versions_config(['provider_code', 'referral_id']) }}

{{ current_versions(ref('stg_provider_returns__referrals'), ['provider_code', 'referral_id']) }}
