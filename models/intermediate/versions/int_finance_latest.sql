/* The latest version of each finance row (one per component per financial year). */
with

versions as (
    select * from {{ ref('int_finance_current') }}
    where record_status <> 'deleted'
),

final as (
    select * from versions
)

select * from final
