/* The latest version of each staff row (one per employment specialist per month). */
with

versions as (
    select * from {{ ref('int_staff_current') }}
    where record_status <> 'deleted'
),

final as (
    select * from versions
)

select * from final
