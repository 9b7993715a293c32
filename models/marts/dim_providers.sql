/*
    Employment providers with their ONS region (region_code/region_name, E12), host NHS
    trust, commissioning geography (the ICB and NHS England region their records roll up
    to, int_provider_organisations, with names from ref_icbs and ref_nhs_regions), the
    provider that succeeded a merged one, and declared reporting window (the months a
    return is expected from and to, when ref_providers declares them), from the bundled
    reference seeds. One row per provider.
*/
with

providers as (
    select * from {{ ref('ref_providers') }}
),

provider_organisations as (
    select * from {{ ref('int_provider_organisations') }}
),

icbs as (
    select * from {{ ref('ref_icbs') }}
),

nhs_regions as (
    select * from {{ ref('ref_nhs_regions') }}
),

final as (
    select
        cast(providers.provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(providers.provider_name as {{ dbt.type_string() }}) as provider_name,
        cast(providers.provider_type as {{ dbt.type_string() }}) as provider_type,
        cast(providers.region_code as {{ dbt.type_string() }}) as region_code,
        cast(providers.region_name as {{ dbt.type_string() }}) as region_name,
        cast(providers.host_trust_code as {{ dbt.type_string() }}) as host_trust_code,
        cast(provider_organisations.icb_code as {{ dbt.type_string() }}) as icb_code,
        cast(icbs.icb_name as {{ dbt.type_string() }}) as icb_name,
        cast(provider_organisations.nhs_region_code as {{ dbt.type_string() }}) as nhs_region_code,
        cast(nhs_regions.nhs_region_name as {{ dbt.type_string() }}) as nhs_region_name,
        cast(provider_organisations.successor_code as {{ dbt.type_string() }}) as successor_code,
        cast(provider_organisations.succeeded_from as date) as succeeded_from,
        cast(nullif(trim(providers.expected_from), '') as {{ dbt.type_string() }}) as expected_from,
        cast(nullif(trim(providers.expected_to), '') as {{ dbt.type_string() }}) as expected_to
    from providers
    inner join provider_organisations
        on providers.provider_code = provider_organisations.provider_code
    left join icbs
        on provider_organisations.icb_code = icbs.icb_code
    left join nhs_regions
        on provider_organisations.nhs_region_code = nhs_regions.nhs_region_code
)

select * from final
