/*
    A public target_status says only what the published value beside it says: 'met'
    never sits beside a value outside the target range, 'not_met' never beside one
    inside it, and a hidden or valueless row has no status. (Judged on the exact value,
    14.3% could be shown as "not met" and so say the exact rate is above 15%.)
    Returns the offending rows.
*/
with

public_scorecard as (
    select * from {{ ref('fct_kpi_scorecard_public') }}
)

select *
from public_scorecard
where (target_status is not null and value is null)
    or (
        target_status = 'met'
        and (value < target_min or value > target_max)
    )
    or (
        target_status = 'not_met'
        and (target_min is null or value >= target_min)
        and (target_max is null or value <= target_max)
    )
