{#
    current_versions(staging_model, key_columns)

    The body of an incremental "current version" model: for each record (key_columns
    within a provider), its latest version across every standing return, ranked as the
    provider-return contract says ("the latest return wins": return_month, then loaded_at,
    then the last row in the file). Deleted versions are kept here (record_status =
    'deleted'); the *_latest models withdraw them.

    The current version is the one no other version of the same record outranks: a
    correlated not exists over the key and sort columns only, which DuckDB runs as an
    anti-join it can spill to disk under a memory cap (a row_number() window over every
    version could not, issue 16 and benchmarks/README.md "Memory"), then the winning rows
    joined back on (load_id, source_row_number), unique in staging. Two versions alike in
    return_month, loaded_at and row (two standing loads of one run for the same month,
    which supersession should rule out) are told apart by load_id, so each record keeps
    exactly one version; version_rank is always 1.

    Full build: every record. Incremental build (is_incremental()): only the records a new
    load touched since the last build - those with a version loaded after the newest
    loaded_at already in the model, and those whose current version came from a load that
    a re-sent return has since replaced (stg_ingest__load_ledger). A record the re-sent
    return no longer carries gets a 'withdrawn' placeholder so that delete+insert removes
    it; remove_withdrawn_versions() (post-hook) deletes the placeholders, so the table is
    the same as a full build's.
#}
{% macro current_versions(staging_model, key_columns) -%}
{%- set keys = key_columns | join(', ') -%}
{#- Outside the is_incremental() branch, so that dbt records the dependency when parsing. -#}
{%- set load_ledger = ref('stg_ingest__load_ledger') -%}
with

{% if is_incremental() %}
watermark as (
    select coalesce(max(loaded_at), cast('1900-01-01' as timestamp)) as loaded_at
    from {{ this }}
),

replaced_loads as (
    select replaced.load_id
    from {{ load_ledger }} as replaced
    inner join {{ load_ledger }} as replacing
        on replaced.superseded_by_load_id = replacing.load_id
    cross join watermark
    where replacing.loaded_at > watermark.loaded_at
),

changed_keys as (
    select {{ keys }}
    from {{ staging_model }}
    where loaded_at > (select loaded_at from watermark)
    union
    select {{ keys }}
    from {{ this }}
    where load_id in (select load_id from replaced_loads)
),

versions as (
    select staged.*
    from {{ staging_model }} as staged
    inner join changed_keys
        on {% for key in key_columns %}staged.{{ key }} = changed_keys.{{ key }}{% if not loop.last %}
        and {% endif %}{% endfor %}
),
{% else %}
versions as (
    select * from {{ staging_model }}
),
{% endif %}

current_rows as (
    select
        versions.load_id,
        versions.source_row_number
    from versions
    where not exists (
        select 1
        {#- The staging model, not the versions CTE: DuckDB materialises a CTE read twice,
            with every column of every version. Every version of a changed record is in
            both, so an incremental build gets the same answer. #}
        from {{ staging_model }} as newer
        where {% for key in key_columns %}newer.{{ key }} = versions.{{ key }}
            and {% endfor %}(
                newer.return_month > versions.return_month
                or (
                    newer.return_month = versions.return_month
                    and newer.loaded_at > versions.loaded_at
                )
                or (
                    newer.return_month = versions.return_month
                    and newer.loaded_at = versions.loaded_at
                    and newer.source_row_number > versions.source_row_number
                )
                or (
                    newer.return_month = versions.return_month
                    and newer.loaded_at = versions.loaded_at
                    and newer.source_row_number = versions.source_row_number
                    and newer.load_id > versions.load_id
                )
            )
    )
),

current_version as (
    select
        staged.*,
        cast(1 as {{ dbt.type_bigint() }}) as version_rank
    from {{ staging_model }} as staged
    inner join current_rows
        on
            staged.load_id = current_rows.load_id
            and staged.source_row_number = current_rows.source_row_number
)

select * from current_version
{% if is_incremental() %}
{%- set columns = adapter.get_columns_in_relation(staging_model) if execute else [] %}
union all
select
    {%- for column in columns %}
    {% if column.name in key_columns -%}
    changed_keys.{{ column.name }}
    {%- elif column.name == 'record_status' -%}
    'withdrawn'
    {%- else -%}
    null
    {%- endif %} as {{ column.name }},
    {%- endfor %}
    1 as version_rank
from changed_keys
where not exists (
    select 1 from current_version
    where {% for key in key_columns %}current_version.{{ key }} = changed_keys.{{ key }}{% if not loop.last %}
        and {% endif %}{% endfor %}
)
{% endif %}
{%- endmacro %}


{#
    remove_withdrawn_versions()

    Post-hook of the current-version models: delete the 'withdrawn' placeholders an
    incremental build inserted (see current_versions). Nothing to do on a full build, and
    nothing on engines where those models are plain tables.
#}
{% macro remove_withdrawn_versions() -%}
    {%- if config.get('materialized') == 'incremental' -%}
        delete from {{ this }} where record_status = 'withdrawn'
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#
    current_versions_config(key_columns)

    The configuration every current-version model shares: incremental where the engine
    deletes rows (DuckDB, Postgres: delete+insert on the key; Databricks: merge on Delta),
    a plain table on a local Spark session, whose Parquet tables cannot delete rows.
#}
{% macro current_versions_config(key_columns) -%}
    {%- if target.type == 'spark' -%}
        {{ config(materialized='table') }}
    {%- elif target.type == 'databricks' -%}
        {{ config(materialized='incremental', incremental_strategy='merge', file_format='delta',
                  unique_key=key_columns, on_schema_change='fail',
                  post_hook="{{ remove_withdrawn_versions() }}") }}
    {%- else -%}
        {{ config(materialized='incremental', incremental_strategy='delete+insert',
                  unique_key=key_columns, on_schema_change='fail',
                  post_hook="{{ remove_withdrawn_versions() }}") }}
    {%- endif -%}
{%- endmacro %}
