{#
    lineage_columns()

    The lineage every staged row carries from landing: which load and file it came
    from, its row number in that file, the reporting month of its return and when it
    was loaded. Used in every staging model over a provider-return table.
#}
{% macro lineage_columns() -%}
    _load_id as load_id,
    _source_file as source_file,
    cast(_row_number as integer) as source_row_number,
    _return_month as return_month,
    _loaded_at as loaded_at,
    coalesce(record_status, 'active') as record_status
{%- endmacro %}
