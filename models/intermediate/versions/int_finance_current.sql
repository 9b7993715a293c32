/*
    The current version of each finance record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'financial_year', 'component']) }}

{{ current_versions(ref('stg_provider_returns__finance'), ['provider_code', 'financial_year', 'component']) }}
