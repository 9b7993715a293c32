{#
    unique_combination(model, columns)

    Fails for every combination of `columns` that appears more than once: the
    primary-key test for models whose key has several columns. (dbt_utils'
    unique_combination_of_columns does this; dbt deps cannot reach the hub here.)
    Arguments:
        columns: list of column names forming the key.
#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
