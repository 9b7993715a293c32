{#
    median(expression)

    The median of a numeric expression, as an aggregate over a group (the 50th
    percentile, interpolated halfway between the two middle values when the count is
    even; nulls ignored; null over no rows). Cross-database through adapter.dispatch:
    - default (Postgres, DuckDB, Snowflake...): the SQL-standard ordered-set aggregate
      percentile_cont(0.5) within group (order by expression);
    - spark (also used by Databricks): percentile(expression, 0.5), Spark's exact
      percentile aggregate (not percentile_approx).
    Use it as an aggregate with group by, not as a window function (Postgres has no
    ordered-set window functions).
    Arguments:
        expression: a numeric column or expression.
#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'ipskpi')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
