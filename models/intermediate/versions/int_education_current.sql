/*
    The current version of each education record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'education_id']) }}

{{ current_versions(ref('stg_provider_returns__education'), ['provider_code', 'education_id']) }}
