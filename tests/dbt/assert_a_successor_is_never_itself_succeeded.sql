/*
    int_provider_organisations resolves a succession in one step (a predecessor takes its
    successor's ICB): a successor that is itself a predecessor would leave the chain half
    followed. Returns the successions whose successor is also a predecessor (none pass).
*/
select
    successions.predecessor_code,
    successions.successor_code
from {{ ref('ref_provider_successions') }} as successions
inner join {{ ref('ref_provider_successions') }} as next_successions
    on successions.successor_code = next_successions.predecessor_code
