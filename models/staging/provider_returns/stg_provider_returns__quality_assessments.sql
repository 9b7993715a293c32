with

source as (
    select * from {{ source('provider_returns', 'quality_assessments') }}
    where not _is_superseded
),

renamed as (
    select
        provider_code,
        cast(assessment_date as date) as assessment_date,
        cast(paid_work_focus as integer) as paid_work_focus,
        cast(client_preference as integer) as client_preference,
        cast(rapid_job_search as integer) as rapid_job_search,
        cast(benefits_advice as integer) as benefits_advice,
        cast(mh_team_integration as integer) as mh_team_integration,
        cast(jobcentre_relationship as integer) as jobcentre_relationship,
        cast(fidelity_audit as integer) as fidelity_audit,
        cast(client_feedback_audit as integer) as client_feedback_audit,
        {{ lineage_columns() }}
    from source
)

select * from renamed
