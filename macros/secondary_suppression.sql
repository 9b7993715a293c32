{#
    secondary_suppression_pass(previous_pass, groups, smallest_shown=5)

    One pass of secondary (complementary) suppression for the public scorecard, as a
    whole query: the body of one model (int_public_hidden_pass_<n>), which reads the
    previous pass through ref, so that each pass is a table and no engine has to inline
    a chain of passes (Spark's analyser could not). A group is a parent row and the rows
    that add up to it (an organisation and its children, a period and its sub-periods, a
    headline and the categories of one breakdown). A group is at risk, because the
    parent minus the other children would pin a count, when
    - exactly one of its rows is hidden; or
    - for its numerators or for its denominators (each count column on its own), the
      rounded counts are at the edge of what they allow: the parent's least value (its
      rounded count - 2, at least smallest_shown) reaches the most its children can add
      up to (rounded + 2 each, smallest_shown - 1 each hidden one, and no hidden child
      whose count in that column is smallest_shown or more, which leaves the top open),
      or the parent's most reaches the least they can add up to. The parent's range is
      first narrowed by its children's sums in every group it heads (an attacker
      intersects them: a quarter heads its months and its breakdown categories); or
    - any of its rows is pinned: every row's range in each count column (a rounded count
      p is p-2 to p+2 and at least smallest_shown; a hidden one 0 to smallest_shown - 1
      when its count is below smallest_shown, else open) is narrowed `rounds` times by
      every group it is in at once (a parent within its children's total range, a child
      within the parent's range minus the other children's), as the attacker of
      ipskpi.disclosure does, and a non-zero count left with one value is pinned. This
      catches chains no group shows on its own: three months, their quarter and the
      hours bands of each, all rounded, pinning each other's counts.
    The pass hides the smallest visible child of every group at risk (non-zero children
    first, then the smallest count, then the lowest row id, so the choice is
    deterministic), or its parent when no child is left. Chain passes until no group is
    at risk; ipskpi.disclosure checks the result.
    Arguments:
        previous_pass: the relation of the previous pass (ref), with columns row_id,
            numerator_count and denominator_count (the row's counts, null where the
            column is not a count) and is_hidden; one row per row with a count.
        groups: the relation of group_id, row_id, is_group_parent,
            is_numerator_additive, is_denominator_additive (the parent is the sum of its
            children for that column): one row per row per group it belongs to
            (int_public_groups).
        smallest_shown: the smallest count the scorecard shows (5: 0-4 are hidden).
        rounds: how many times the ranges are narrowed through all groups (4).
    Returns the previous pass's rows with is_hidden updated.
#}
{% macro secondary_suppression_pass(previous_pass, groups, smallest_shown=5, rounds=4) -%}
{%- set columns = ['numerator_count', 'denominator_count'] -%}
{#- The top of a hidden count with no known top (a secondary suppression). -#}
{%- set open_high = 1000000000 -%}
{#- Every range bound is a whole number (a multiple of 5 plus or minus 2, 0, smallest_shown - 1,
    open_high, or a sum of them), so the ranges are carried as integers: half the width of the
    counts' numeric, in the tables DuckDB keeps for the CTEs read twice. -#}
{%- set integer = dbt.type_bigint() -%}
with

previous_pass as (
    select * from {{ previous_pass }}
),

memberships as (
    select * from {{ groups }}
),

group_ranges as (
    select
        memberships.group_id,
        {%- for column in columns %}
        {%- set count = 'previous_pass.' ~ column %}
        max(
            case when memberships.is_{{ column.replace('_count', '') }}_additive then 1 else 0 end
        ) as {{ column }}_additive,
        -- {{ column }}: hidden children too large to be a primary suppression (top open).
        cast(sum(
            case
                when previous_pass.is_hidden and not memberships.is_group_parent
                    and {{ count }} >= {{ smallest_shown }} then 1
                else 0
            end
        ) as {{ integer }}) as {{ column }}_open_children,
        -- {{ column }}: the parent's range from its rounded count (5 is 5-7; null when hidden).
        cast(max(
            case
                when memberships.is_group_parent and not previous_pass.is_hidden
                    then {{ _rounded_low(count, smallest_shown) }}
            end
        ) as {{ integer }}) as {{ column }}_parent_low,
        cast(max(
            case
                when memberships.is_group_parent and not previous_pass.is_hidden
                    then {{ suppress_count(count) }} + 2
            end
        ) as {{ integer }}) as {{ column }}_parent_high,
        -- {{ column }}: the children's total range (0 to smallest_shown - 1 a hidden child).
        cast(sum(
            case
                when memberships.is_group_parent or previous_pass.is_hidden then 0
                else {{ _rounded_low(count, smallest_shown) }}
            end
        ) as {{ integer }}) as {{ column }}_children_low,
        cast(sum(
            case
                when memberships.is_group_parent then 0
                when previous_pass.is_hidden then {{ smallest_shown - 1 }}
                else {{ suppress_count(count) }} + 2
            end
        ) as {{ integer }}) as {{ column }}_children_high,
        {%- endfor %}
        cast(sum(case when previous_pass.is_hidden then 1 else 0 end) as {{ integer }}) as hidden_rows
    from memberships
    inner join previous_pass
        on memberships.row_id = previous_pass.row_id
    group by memberships.group_id
),

-- The parent's range narrowed by its children's sums in every group it heads (an attacker
-- intersects them): a quarter shown as 30 (28-32) whose months add up to at least 31 and
-- whose categories to at most 31 is 31, though neither group alone is at its edge.
parents as (
    select
        memberships.group_id,
        memberships.row_id
    from memberships
    where memberships.is_group_parent
),

parent_ranges as (
    select
        parents.row_id,
        {%- for column in columns %}
        max(
            case when group_ranges.{{ column }}_additive = 1 then group_ranges.{{ column }}_children_low end
        ) as {{ column }}_low_from_children,
        min(
            case
                when group_ranges.{{ column }}_additive = 1 and group_ranges.{{ column }}_open_children = 0
                    then group_ranges.{{ column }}_children_high
            end
        ) as {{ column }}_high_from_children{{ ',' if not loop.last }}
        {%- endfor %}
    from parents
    inner join group_ranges
        on parents.group_id = group_ranges.group_id
    group by parents.row_id
),

narrowed_ranges as (
    select
        group_ranges.group_id,
        group_ranges.hidden_rows,
        {%- for column in columns %}
        group_ranges.{{ column }}_additive,
        group_ranges.{{ column }}_open_children,
        group_ranges.{{ column }}_children_low,
        group_ranges.{{ column }}_children_high,
        case
            when group_ranges.{{ column }}_parent_low is null then null
            when parent_ranges.{{ column }}_low_from_children > group_ranges.{{ column }}_parent_low
                then parent_ranges.{{ column }}_low_from_children
            else group_ranges.{{ column }}_parent_low
        end as {{ column }}_parent_low,
        case
            when group_ranges.{{ column }}_parent_high is null then null
            when parent_ranges.{{ column }}_high_from_children < group_ranges.{{ column }}_parent_high
                then parent_ranges.{{ column }}_high_from_children
            else group_ranges.{{ column }}_parent_high
        end as {{ column }}_parent_high{{ ',' if not loop.last }}
        {%- endfor %}
    from group_ranges
    inner join parents
        on group_ranges.group_id = parents.group_id
    left join parent_ranges
        on parents.row_id = parent_ranges.row_id
),
-- Cross-group interval propagation (as the attacker, ipskpi.disclosure, does): every
-- row's range in each count column starts from what is published (a rounded count p is
-- p-2 to p+2 and at least smallest_shown; a hidden count is 0 to smallest_shown - 1 when
-- it is a primary suppression, else open) and is narrowed, `rounds` times, by every
-- group it belongs to: a parent lies within its children's total range, a child within
-- the parent's range minus the others' total range. A group is at risk when any of its
-- rows is pinned: a non-zero count whose range is one value (or a primary suppression
-- with one value left in 0 to smallest_shown - 1), which no single group shows.
row_ranges_0 as (
    select
        previous_pass.row_id,
        {%- for column in columns %}
        {%- set count = 'previous_pass.' ~ column %}
        cast(case
            when {{ count }} is null then null
            when previous_pass.is_hidden then 0
            else {{ _rounded_low(count, smallest_shown) }}
        end as {{ integer }}) as {{ column }}_low,
        cast(case
            when {{ count }} is null then null
            when previous_pass.is_hidden and {{ count }} < {{ smallest_shown }} then {{ smallest_shown - 1 }}
            when previous_pass.is_hidden then {{ open_high }}
            else {{ suppress_count(count) }} + 2
        end as {{ integer }}) as {{ column }}_high{{ ',' if not loop.last }}
        {%- endfor %}
    from previous_pass
),
{%- for round in range(1, rounds + 1) %}
{%- set before = 'row_ranges_' ~ (round - 1) %}

member_ranges_{{ round }} as (
    select
        memberships.group_id,
        memberships.row_id,
        memberships.is_group_parent,
        memberships.is_numerator_additive,
        memberships.is_denominator_additive,
        {%- for column in columns %}
        {{ before }}.{{ column }}_low,
        {{ before }}.{{ column }}_high{{ ',' if not loop.last }}
        {%- endfor %}
    from memberships
    inner join {{ before }}
        on memberships.row_id = {{ before }}.row_id
),

group_totals_{{ round }} as (
    select
        group_id,
        {%- for column in columns %}
        max(case when is_group_parent then {{ column }}_low end) as {{ column }}_parent_low,
        max(case when is_group_parent then {{ column }}_high end) as {{ column }}_parent_high,
        sum(case when not is_group_parent then {{ column }}_low end) as {{ column }}_children_low,
        sum(case when not is_group_parent then {{ column }}_high end) as {{ column }}_children_high{{ ',' if not loop.last }}
        {%- endfor %}
    from member_ranges_{{ round }}
    group by group_id
),

row_bounds_{{ round }} as (
    select
        member_ranges_{{ round }}.row_id,
        {%- for column in columns %}
        {%- set additive = 'member_ranges_' ~ round ~ '.is_' ~ column.replace('_count', '') ~ '_additive' %}
        {%- set member = 'member_ranges_' ~ round ~ '.' ~ column %}
        {%- set totals = 'group_totals_' ~ round ~ '.' ~ column %}
        max(
            case
                when not {{ additive }} then null
                when member_ranges_{{ round }}.is_group_parent then {{ totals }}_children_low
                else {{ totals }}_parent_low - ({{ totals }}_children_high - {{ member }}_high)
            end
        ) as {{ column }}_low,
        min(
            case
                when not {{ additive }} then null
                when member_ranges_{{ round }}.is_group_parent then {{ totals }}_children_high
                else {{ totals }}_parent_high - ({{ totals }}_children_low - {{ member }}_low)
            end
        ) as {{ column }}_high{{ ',' if not loop.last }}
        {%- endfor %}
    from member_ranges_{{ round }}
    inner join group_totals_{{ round }}
        on member_ranges_{{ round }}.group_id = group_totals_{{ round }}.group_id
    group by member_ranges_{{ round }}.row_id
),

row_ranges_{{ round }} as (
    select
        {{ before }}.row_id,
        {%- for column in columns %}
        {%- set bound = 'row_bounds_' ~ round ~ '.' ~ column %}
        cast(case
            when {{ bound }}_low > {{ before }}.{{ column }}_low then {{ bound }}_low
            else {{ before }}.{{ column }}_low
        end as {{ integer }}) as {{ column }}_low,
        cast(case
            when {{ bound }}_high < {{ before }}.{{ column }}_high then {{ bound }}_high
            else {{ before }}.{{ column }}_high
        end as {{ integer }}) as {{ column }}_high{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ before }}
    left join row_bounds_{{ round }}
        on {{ before }}.row_id = row_bounds_{{ round }}.row_id
),
{%- endfor %}

pinned_rows as (
    select previous_pass.row_id
    from previous_pass
    inner join row_ranges_{{ rounds }}
        on previous_pass.row_id = row_ranges_{{ rounds }}.row_id
    where
        {%- for column in columns %}
        {%- set count = 'previous_pass.' ~ column %}
        {%- set range = 'row_ranges_' ~ rounds ~ '.' ~ column %}
        {{ 'or ' if not loop.first }}({{ count }} > 0 and {{ range }}_low = {{ range }}_high)
        {%- endfor %}
),

pinned_groups as (
    select distinct memberships.group_id
    from memberships
    inner join pinned_rows
        on memberships.row_id = pinned_rows.row_id
),

at_risk as (
    select group_id from pinned_groups
    union
    select group_id from narrowed_ranges
    where hidden_rows = 1
        {%- for column in columns %}
        or (
            {{ column }}_additive = 1
            and {{ column }}_parent_low is not null
            and {{ column }}_open_children = 0
            and {{ column }}_parent_low >= {{ column }}_children_high
        )
        or (
            {{ column }}_additive = 1
            and {{ column }}_parent_high is not null
            and {{ column }}_parent_high <= {{ column }}_children_low
        )
        {%- endfor %}
),

picks as (
    select
        memberships.row_id,
        row_number() over (
            partition by memberships.group_id
            order by
                case when memberships.is_group_parent then 1 else 0 end,
                case when coalesce(previous_pass.numerator_count, previous_pass.denominator_count) = 0
                    then 1 else 0 end,
                coalesce(previous_pass.numerator_count, previous_pass.denominator_count),
                memberships.row_id
        ) as pick_order
    from memberships
    inner join at_risk
        on memberships.group_id = at_risk.group_id
    inner join previous_pass
        on memberships.row_id = previous_pass.row_id
    where not previous_pass.is_hidden
),

picked as (
    select distinct picks.row_id from picks
    where picks.pick_order = 1
),

final as (
    select
        previous_pass.row_id,
        previous_pass.numerator_count,
        previous_pass.denominator_count,
        previous_pass.is_hidden or picked.row_id is not null as is_hidden
    from previous_pass
    left join picked
        on previous_pass.row_id = picked.row_id
)

select * from final
{%- endmacro %}

{#
    _rounded_low(column_name, smallest_shown)

    The least a count published rounded to the nearest 5 can be: the rounded count
    minus 2, but at least smallest_shown (a published 5 is 5-7, as 0-4 are hidden).
#}
{% macro _rounded_low(column_name, smallest_shown=5) -%}
    case
        when {{ suppress_count(column_name) }} - 2 > {{ smallest_shown }}
            then {{ suppress_count(column_name) }} - 2
        else {{ smallest_shown }}
    end
{%- endmacro %}
