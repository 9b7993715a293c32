/*
    The current version of each quality_assessments record (latest return wins), deleted versions included:
    incremental, so a night's build ranks only the records that night's loads touched.
*/
{{ current_versions_config(['provider_code', 'assessment_date']) }}

{{ current_versions(ref('stg_provider_returns__quality_assessments'), ['provider_code', 'assessment_date']) }}
