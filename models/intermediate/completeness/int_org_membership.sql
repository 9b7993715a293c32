/*
    Which organisations each provider's records count in: the provider itself, its ICB,
    its NHS England region and England. Every roll-up sums a level from its providers'
    own records through this table (never from the level below's figures), so each
    level is computed as England is and parent = sum of children holds at every pair.
    One row per provider per org_level (four per provider).
*/
with

provider_organisations as (
    select * from {{ ref('int_provider_organisations') }}
),

memberships as (
    select
        provider_code,
        provider_code as org_code,
        'provider' as org_level
    from provider_organisations
    union all
    select
        provider_code,
        icb_code as org_code,
        'icb' as org_level
    from provider_organisations
    union all
    select
        provider_code,
        nhs_region_code as org_code,
        'region' as org_level
    from provider_organisations
    union all
    select
        provider_code,
        'ENG' as org_code,
        'england' as org_level
    from provider_organisations
),

final as (
    select
        cast(provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(org_code as {{ dbt.type_string() }}) as org_code,
        cast(org_level as {{ dbt.type_string() }}) as org_level
    from memberships
)

select * from final
