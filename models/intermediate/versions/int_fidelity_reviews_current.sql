/*
    The current version of each fidelity_reviews record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'review_id']) }}

{{ current_versions(ref('stg_provider_returns__fidelity_reviews'), ['provider_code', 'review_id']) }}
