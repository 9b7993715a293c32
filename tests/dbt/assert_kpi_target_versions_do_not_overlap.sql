/*
    No two versions of a KPI's target (seed kpi_targets) are in force on the same day
    for the same period type and service years: the scorecard takes the one in force on
    a period's last day, and two would make its target and target_framework ambiguous.
    An empty valid_from or valid_to is open. Returns the overlapping pairs.
*/
with

targets as (
    select * from {{ ref('kpi_targets') }}
)

select
    earlier.kpi_code,
    earlier.framework as earlier_framework,
    later.framework as later_framework,
    earlier.valid_to as earlier_valid_to,
    later.valid_from as later_valid_from
from targets as earlier
inner join targets as later
    on earlier.kpi_code = later.kpi_code
    and coalesce(earlier.period_type, '') = coalesce(later.period_type, '')
    and coalesce(earlier.service_year_from, 0) <= coalesce(later.service_year_to, 999)
    and coalesce(later.service_year_from, 0) <= coalesce(earlier.service_year_to, 999)
    and (earlier.framework <> later.framework or earlier.valid_from <> later.valid_from)
    and (earlier.valid_from is null or later.valid_from is null or earlier.valid_from <= later.valid_from)
where earlier.valid_to is null
    or later.valid_from is null
    or earlier.valid_to >= later.valid_from
