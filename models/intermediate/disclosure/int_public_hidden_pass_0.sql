/*
    Pass 0 of the public scorecard's suppression: the rows with a count
    (int_public_rows), hidden where a count from 0 to 4 hides them (primary
    suppression). Secondary suppression (int_public_hidden_pass_1 to _8) starts here.
    One row per organisation per period per KPI per breakdown with a count.
*/

with

public_rows as (
    select * from {{ ref('int_public_rows') }}
),

final as (
    select
        row_id,
        numerator_count,
        denominator_count,
        is_primary_suppressed as is_hidden
    from public_rows
    where is_numerator_a_count or is_denominator_a_count
)

select * from final
