/* The latest version of each staff row (one per employment specialist per month). */
with

versions as (
    {{ latest_version(ref('stg_provider_returns__staff'), ['provider_code', 'employment_specialist_id', 'staff_month']) }}
),

final as (
    select * from versions
)

select * from final
