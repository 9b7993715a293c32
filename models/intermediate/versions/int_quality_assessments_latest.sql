/* The latest version of each quality_assessment (latest return wins; deleted records withdrawn). */
with

versions as (
    select * from {{ ref('int_quality_assessments_current') }}
    where record_status <> 'deleted'
),

final as (
    select * from versions
)

select * from final
