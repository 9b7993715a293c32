/*
    The current version of each staff record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'employment_specialist_id', 'staff_month']) }}

{{ current_versions(ref('stg_provider_returns__staff'), ['provider_code', 'employment_specialist_id', 'staff_month']) }}
