{#
    spark__create_csv_table(model, agate_table)

    dbt-spark's seed table DDL with each column type passed through
    spark_seed_column_type, so the seeds' portable varchar columns are created as
    Spark strings. Otherwise as dbt-spark 1.11 (file format, partitioning, location
    and comment clauses). Overrides dbt-spark's macro of the same name: dispatch looks
    in the root project first.
    Arguments:
        model: the seed node.
        agate_table: the seed's rows (column names and inferred types).
#}
{% macro spark__create_csv_table(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}

    {% set sql %}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = spark_seed_column_type(column_override.get(col_name, inferred_type)) -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                {%- if not loop.last -%}, {%- endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {% endset %}

    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}

    {{ return(sql) }}
{% endmacro %}
