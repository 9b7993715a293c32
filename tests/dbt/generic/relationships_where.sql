{#
    relationships_where(model, column_name, to, field, to_condition='1 = 1')

    Fails for every row whose `column_name` is not null and has no match in `field`
    of `to` among the rows meeting `to_condition`: a relationships test to a subset of
    the parent (dbt_utils.relationships_where is the package equivalent; dbt deps
    cannot reach the hub here). Used to check that a section fact holds only KPIs of
    its section in the KPI registry (dim_kpis), instead of a copied list of codes.
    Arguments:
        to: the parent relation, e.g. ref('dim_kpis').
        field: the parent's key column.
        to_condition: a SQL filter on the parent's rows, e.g. "section = 'D'".
#}
{% test relationships_where(model, column_name, to, field, to_condition='1 = 1') %}

with

child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
    where {{ to_condition }}
)

select child.from_field
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null

{% endtest %}
