/*
    Every organisation a scorecard row can be about, with its level, name and parent, so a
    dashboard can label and nest ICB and region rows: the providers (parent: the ICB their
    records roll up to, int_provider_organisations), the 42 ICBs (parent: their NHS
    England region, ref_icbs), the seven regions (parent: England) and England (ENG, no
    parent). The disclosure groups and ipskpi.disclosure read the same parents.
    One row per organisation.
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

organisations as (
    select
        providers.provider_code as org_code,
        'provider' as org_level,
        providers.provider_name as org_name,
        provider_organisations.icb_code as parent_org_code
    from providers
    inner join provider_organisations
        on providers.provider_code = provider_organisations.provider_code
    union all
    select
        icb_code as org_code,
        'icb' as org_level,
        icb_name as org_name,
        nhs_region_code as parent_org_code
    from icbs
    union all
    select
        nhs_region_code as org_code,
        'region' as org_level,
        nhs_region_name as org_name,
        'ENG' as parent_org_code
    from nhs_regions
    union all
    select
        'ENG' as org_code,
        'england' as org_level,
        'England' as org_name,
        cast(null as {{ dbt.type_string() }}) as parent_org_code
),

final as (
    select
        cast(org_code as {{ dbt.type_string() }}) as org_code,
        cast(org_level as {{ dbt.type_string() }}) as org_level,
        cast(org_name as {{ dbt.type_string() }}) as org_name,
        cast(parent_org_code as {{ dbt.type_string() }}) as parent_org_code
    from organisations
)

select * from final
