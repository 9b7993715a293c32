/*
    The current version of each referrals record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
    It runs after int_contacts_current (the depends_on below), never beside it: each ranks
    every version of every record with one window that DuckDB does not spill, so the two
    windows never need memory at the same time (benchmarks/README.md, peak memory).
*/
-- depends_on: {{ ref('int_contacts_current') }}
{{ current_versions_config(['provider_code', 'referral_id']) }}

{{ current_versions(ref('stg_provider_returns__referrals'), ['provider_code', 'referral_id']) }}
