{#
    spark__load_csv_rows(model, agate_table)

    Insert a seed's rows on Spark with the values written as SQL literals. dbt-spark's
    own loader passes them as bindings, and its session connection method pastes
    bindings into the SQL unescaped: a value with an apostrophe (St George's) breaks
    the insert and an empty cell arrives as the text 'None' instead of null. Here an
    empty cell is null and quotes and backslashes are escaped; types as in
    spark__create_csv_table. Overrides dbt-spark's macro of the same name.
    Arguments:
        model: the seed node.
        agate_table: the seed's rows.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set column_types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
        {%- do column_types.append(spark_seed_column_type(column_override.get(col_name, inferred_type))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}

    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ column_types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ column_types[loop.index0] }})
                    {%- endif -%}
                    {%- if not loop.last -%}, {% endif -%}
                {%- endfor -%}
                ){%- if not loop.last -%},{%- endif %}
            {% endfor %}
        {%- endset -%}

        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}

        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}

    {{ return(statements[0]) }}
{% endmacro %}
