{#
    spark_seed_column_type(data_type)

    The Spark spelling of a seed column type. Spark refuses a varchar without a length
    (DATATYPE_MISSING_SIZE) and enforces one when given, so the seeds' varchar and text
    column_types (dbt_project.yml, seeds/*.yml) become Spark's string; every other type
    is kept as written. Used only by the spark__ seed macros.
    Arguments:
        data_type: the configured or inferred type of a seed column.
#}
{% macro spark_seed_column_type(data_type) -%}
    {{ return('string' if (data_type | string | trim | lower) in ('varchar', 'text') else data_type) }}
{%- endmacro %}
