{#
    expression_is_true(model, expression, where=none)

    Fails for every row where `expression` is not true (rows where it is null fail
    too). dbt_utils.expression_is_true would be the package equivalent.
    Arguments:
        expression: a boolean SQL expression over the model's columns.
        where: optional filter on the rows to check.
#}
{% test expression_is_true(model, expression, where=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% if where %} and {{ where }}{% endif %}

{% endtest %}
