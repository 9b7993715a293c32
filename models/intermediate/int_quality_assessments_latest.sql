/* The latest version of each quality_assessment (latest return wins; deleted records withdrawn). */
with

versions as (
    {{ latest_version(ref('stg_provider_returns__quality_assessments'), ['provider_code', 'assessment_date']) }}
),

final as (
    select * from versions
)

select * from final
