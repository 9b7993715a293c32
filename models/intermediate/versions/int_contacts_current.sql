/*
    The current version of each contacts record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'contact_id']) }}

{{ current_versions(ref('stg_provider_returns__contacts'), ['provider_code', 'contact_id']) }}
