{#
    secondary_suppression_pass(pass_number, memberships, smallest_shown=5)

    One pass of secondary (complementary) suppression for the public scorecard, as CTE
    definitions to place inside a `with`: reads hidden_<pass_number> and defines
    hidden_<pass_number + 1>. A group is a parent row and the rows that add up to it (an
    organisation and its children, a period and its sub-periods, a headline and the
    categories of one breakdown). A group is at risk, because the parent minus the other
    children would pin a count, when
    - exactly one of its rows is hidden; or
    - for its numerators or for its denominators (each count column on its own), the
      rounded counts are at the edge of what they allow: the parent's least value (its
      rounded count - 2, at least smallest_shown) reaches the most its children can add
      up to (rounded + 2 each, smallest_shown - 1 each hidden one, and no hidden child
      whose count in that column is smallest_shown or more, which leaves the top open),
      or the parent's most reaches the least they can add up to.
    The pass hides the smallest visible child of every group at risk (non-zero children
    first, then the smallest count, then the lowest row id, so the choice is
    deterministic), or its parent when no child is left. Chain passes until no group is
    at risk; ipskpi.disclosure checks the result.
    Arguments:
        pass_number: the pass (0, 1, ...); hidden_<pass_number> must be defined before,
            with columns row_id, numerator_count and denominator_count (the row's counts,
            null where the column is not a count) and is_hidden.
        memberships: a CTE of group_id, row_id, is_group_parent, is_numerator_additive,
            is_denominator_additive (the parent is the sum of its children for that
            column): one row per row per group it belongs to.
        smallest_shown: the smallest count the scorecard shows (5: 0-4 are hidden).
#}
{% macro secondary_suppression_pass(pass_number, memberships, smallest_shown=5) -%}
{%- set this_pass = 'hidden_' ~ pass_number -%}
{%- set next_pass = 'hidden_' ~ (pass_number + 1) -%}
{%- set columns = ['numerator_count', 'denominator_count'] -%}
groups_{{ this_pass }} as (
    select
        {{ memberships }}.group_id,
        {%- for column in columns %}
        {%- set count = this_pass ~ '.' ~ column %}
        max(
            case when {{ memberships }}.is_{{ column.replace('_count', '') }}_additive then 1 else 0 end
        ) as {{ column }}_additive,
        -- {{ column }}: hidden children too large to be a primary suppression (top open).
        sum(
            case
                when {{ this_pass }}.is_hidden and not {{ memberships }}.is_group_parent
                    and {{ count }} >= {{ smallest_shown }} then 1
                else 0
            end
        ) as {{ column }}_open_children,
        -- {{ column }}: the parent's range from its rounded count (5 is 5-7; null when hidden).
        max(
            case
                when {{ memberships }}.is_group_parent and not {{ this_pass }}.is_hidden
                    then {{ _rounded_low(count, smallest_shown) }}
            end
        ) as {{ column }}_parent_low,
        max(
            case
                when {{ memberships }}.is_group_parent and not {{ this_pass }}.is_hidden
                    then {{ suppress_count(count) }} + 2
            end
        ) as {{ column }}_parent_high,
        -- {{ column }}: the children's total range (0 to smallest_shown - 1 a hidden child).
        sum(
            case
                when {{ memberships }}.is_group_parent or {{ this_pass }}.is_hidden then 0
                else {{ _rounded_low(count, smallest_shown) }}
            end
        ) as {{ column }}_children_low,
        sum(
            case
                when {{ memberships }}.is_group_parent then 0
                when {{ this_pass }}.is_hidden then {{ smallest_shown - 1 }}
                else {{ suppress_count(count) }} + 2
            end
        ) as {{ column }}_children_high,
        {%- endfor %}
        sum(case when {{ this_pass }}.is_hidden then 1 else 0 end) as hidden_rows
    from {{ memberships }}
    inner join {{ this_pass }}
        on {{ memberships }}.row_id = {{ this_pass }}.row_id
    group by {{ memberships }}.group_id
),

at_risk_{{ this_pass }} as (
    select group_id from groups_{{ this_pass }}
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

picks_{{ this_pass }} as (
    select
        {{ memberships }}.row_id,
        row_number() over (
            partition by {{ memberships }}.group_id
            order by
                case when {{ memberships }}.is_group_parent then 1 else 0 end,
                case when coalesce({{ this_pass }}.numerator_count, {{ this_pass }}.denominator_count) = 0
                    then 1 else 0 end,
                coalesce({{ this_pass }}.numerator_count, {{ this_pass }}.denominator_count),
                {{ memberships }}.row_id
        ) as pick_order
    from {{ memberships }}
    inner join at_risk_{{ this_pass }}
        on {{ memberships }}.group_id = at_risk_{{ this_pass }}.group_id
    inner join {{ this_pass }}
        on {{ memberships }}.row_id = {{ this_pass }}.row_id
    where not {{ this_pass }}.is_hidden
),

picked_{{ this_pass }} as (
    select distinct picks_{{ this_pass }}.row_id from picks_{{ this_pass }}
    where picks_{{ this_pass }}.pick_order = 1
),

{{ next_pass }} as (
    select
        {{ this_pass }}.row_id,
        {{ this_pass }}.numerator_count,
        {{ this_pass }}.denominator_count,
        {{ this_pass }}.is_hidden or picked_{{ this_pass }}.row_id is not null as is_hidden
    from {{ this_pass }}
    left join picked_{{ this_pass }}
        on {{ this_pass }}.row_id = picked_{{ this_pass }}.row_id
)
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
