/*
    Each provider's place in the commissioning geography: its ICB (ODS code) and NHS
    England region (Y-code).
    Steps:
    1. The provider's own ICB: declared in ref_providers (voluntary providers, by
       default their host trust's; NHS trusts missing from the ODS vintage), else the
       ODS trust file's (ref_ods_trusts, column 4).
    2. A merged provider (ref_provider_successions) takes its successor's ICB, so its
       history rolls up where the successor's trend is reported (one step: a successor
       is never itself a predecessor, a singular test holds it); its own provider rows
       stay its own.
    3. The region is the ICB's (ref_icbs, the ONS ICB -> NHS England region lookup).
    One row per provider.
*/
with

providers as (
    select * from {{ ref('ref_providers') }}
),

ods_trusts as (
    select * from {{ ref('ref_ods_trusts') }}
),

successions as (
    select * from {{ ref('ref_provider_successions') }}
),

icbs as (
    select * from {{ ref('ref_icbs') }}
),

attach_own_icb as (
    select
        providers.provider_code,
        coalesce(nullif(trim(providers.icb_code), ''), ods_trusts.icb_code) as own_icb_code,
        case
            when nullif(trim(providers.icb_code), '') is not null then 'declared'
            when ods_trusts.icb_code is not null then 'ods'
        end as own_icb_source
    from providers
    left join ods_trusts
        on providers.provider_code = ods_trusts.trust_code
),

attach_successor as (
    select
        attach_own_icb.provider_code,
        successions.successor_code,
        successions.effective_from as succeeded_from,
        coalesce(successor.own_icb_code, attach_own_icb.own_icb_code) as icb_code,
        case
            when successions.successor_code is not null then 'successor'
            else attach_own_icb.own_icb_source
        end as icb_source
    from attach_own_icb
    left join successions
        on attach_own_icb.provider_code = successions.predecessor_code
    left join attach_own_icb as successor
        on successions.successor_code = successor.provider_code
),

final as (
    select
        cast(attach_successor.provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(attach_successor.icb_code as {{ dbt.type_string() }}) as icb_code,
        cast(attach_successor.icb_source as {{ dbt.type_string() }}) as icb_source,
        cast(icbs.nhs_region_code as {{ dbt.type_string() }}) as nhs_region_code,
        cast(attach_successor.successor_code as {{ dbt.type_string() }}) as successor_code,
        cast(attach_successor.succeeded_from as date) as succeeded_from
    from attach_successor
    left join icbs
        on attach_successor.icb_code = icbs.icb_code
)

select * from final
