{#
    current_versions(staging_model, key_columns)

    The body of an incremental "current version" model: for each record (key_columns
    within a provider), its latest version across every standing return, ranked as the
    provider-return contract says ("the latest return wins": return_month, then loaded_at,
    then the last row in the file). Deleted versions are kept here (record_status =
    'deleted'); the *_latest models withdraw them.

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

ranked as (
    select
        *,
        row_number() over (
            partition by {{ keys }}
            order by return_month desc, loaded_at desc, source_row_number desc
        ) as version_rank
    from versions
),

current_version as (
    select * from ranked
    where version_rank = 1
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
