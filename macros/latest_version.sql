{#
    latest_version(relation, key_columns)

    The latest version of each record: providers resend the current state of a
    record in every monthly return, and the record from the latest reporting month
    wins (provider-return contract, "The latest return wins"). Rows whose latest
    version has record_status = 'deleted' are withdrawn and excluded.
    Arguments:
        relation: a staging model carrying return_month, loaded_at, source_row_number.
        key_columns: list of the columns that identify a record within a provider.
#}
{% macro latest_version(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by return_month desc, loaded_at desc, source_row_number desc
            ) as version_rank
        from {{ relation }}
    ) as versions
    where version_rank = 1
        and record_status <> 'deleted'
{%- endmacro %}
