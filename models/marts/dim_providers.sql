/*
    Employment providers with their region, host NHS trust and declared reporting window
    (the months a return is expected from and to, when ref_providers declares them), from
    the bundled reference seed. One row per provider.
*/
with

providers as (
    select * from {{ ref('ref_providers') }}
),

final as (
    select
        cast(provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(provider_name as {{ dbt.type_string() }}) as provider_name,
        cast(provider_type as {{ dbt.type_string() }}) as provider_type,
        cast(region_code as {{ dbt.type_string() }}) as region_code,
        cast(region_name as {{ dbt.type_string() }}) as region_name,
        cast(host_trust_code as {{ dbt.type_string() }}) as host_trust_code,
        cast(nullif(trim(expected_from), '') as {{ dbt.type_string() }}) as expected_from,
        cast(nullif(trim(expected_to), '') as {{ dbt.type_string() }}) as expected_to
    from providers
)

select * from final
