/* The latest version of each finance row (one per component per financial year). */
with

versions as (
    {{ latest_version(ref('stg_provider_returns__finance'), ['provider_code', 'financial_year', 'component']) }}
),

final as (
    select * from versions
)

select * from final
