{#
    generate_schema_name(custom_schema_name, node)

    Use the folder's schema (staging, intermediate, marts, reference) as the schema
    name itself rather than dbt's default "<target schema>_<custom schema>", so the
    built database reads the same on every engine: staging.stg_..., marts.fct_...
    Arguments:
        custom_schema_name: the +schema configured for the node, or none.
        node: the node being built.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
