/*
    Triangulation (NHS England's word): per provider and month, the return's own count of
    people accessing IPS in the rolling 12 months beside MHSDS MHS116 for the same
    organisation, the return's count exact. The rule lives here; fct_ips_access_triangulation
    (restricted) and fct_ips_access_triangulation_public publish it.
    Steps:
    1. The provider-months of the reporting scaffold (int_provider_periods, provider
       level, months).
    2. return_access_12m: the provider's referrals with at least one direct contact with
       the client (contact_type client_face_to_face or client_remote: MHS116's attended
       direct contact, face to face, phone or video) in the 12 months to the month end
       (int_contacts_latest: the current version of each contact, deleted ones withdrawn).
       Contacts are first reduced to one row per referral per contact month, so the
       window join reads months, not contacts.
    3. mhsds_access_12m: MHS116 for the provider's own ODS code (BREAKDOWN Provider;
       int_local_context_mhsds_observations, area_type nhs_trust). Only an NHS trust
       submits to MHSDS under its own code: a voluntary provider (whose clients a trust
       may submit under the trust's code) has no row, so its MHS116 is null, never 0, and
       has_mhsds_row is false. A * cell (fewer than 5) is null with mhsds_status *.
    4. access_difference = return minus MHS116 and access_ratio = return / MHS116, null
       unless both exist (MHS116 > 0 for the ratio).
    One row per provider per month.
*/
with

provider_periods as (
    select * from {{ ref('int_provider_periods') }}
),

contacts as (
    select * from {{ ref('int_contacts_latest') }}
),

mhsds as (
    select * from {{ ref('int_local_context_mhsds_observations') }}
),

provider_months as (
    select
        org_code as provider_code,
        period_start,
        period_end
    from provider_periods
    where org_level = 'provider'
        and period_type = 'month'
),

-- One row per referral per month with a direct client contact.
referral_contact_months as (
    select distinct
        provider_code,
        referral_id,
        cast({{ dbt.date_trunc('month', 'contact_date') }} as date) as contact_month_start
    from contacts
    where contact_type in ('client_face_to_face', 'client_remote')
        and contact_date is not null
),

return_access as (
    select
        provider_months.provider_code,
        provider_months.period_start,
        count(distinct referral_contact_months.referral_id) as return_access_12m
    from provider_months
    inner join referral_contact_months
        on provider_months.provider_code = referral_contact_months.provider_code
        and referral_contact_months.contact_month_start <= provider_months.period_start
        and referral_contact_months.contact_month_start
        > cast({{ dbt.dateadd('month', -12, 'provider_months.period_start') }} as date)
    group by
        provider_months.provider_code,
        provider_months.period_start
),

mhsds_access as (
    select
        area_code,
        period_start,
        value as mhsds_access_12m,
        observation_status as mhsds_status
    from mhsds
    where kpi_code = 'mhsds_ips_access_12m'
        and area_type = 'nhs_trust'
        and period_type = 'month'
),

final as (
    select
        cast(provider_months.provider_code as {{ dbt.type_string() }}) as provider_code,
        cast(provider_months.period_start as date) as period_start,
        cast(provider_months.period_end as date) as period_end,
        cast(coalesce(return_access.return_access_12m, 0) as {{ dbt.type_numeric() }}) as return_access_12m,
        cast(mhsds_access.mhsds_access_12m as {{ dbt.type_numeric() }}) as mhsds_access_12m,
        cast(mhsds_access.mhsds_status as {{ dbt.type_string() }}) as mhsds_status,
        mhsds_access.area_code is not null as has_mhsds_row,
        cast(
            coalesce(return_access.return_access_12m, 0) - mhsds_access.mhsds_access_12m
            as {{ dbt.type_numeric() }}
        ) as access_difference,
        cast(
            case
                when mhsds_access.mhsds_access_12m > 0
                    then coalesce(return_access.return_access_12m, 0) / mhsds_access.mhsds_access_12m
            end as {{ dbt.type_numeric() }}
        ) as access_ratio
    from provider_months
    left join return_access
        on provider_months.provider_code = return_access.provider_code
        and provider_months.period_start = return_access.period_start
    left join mhsds_access
        on provider_months.provider_code = mhsds_access.area_code
        and provider_months.period_start = mhsds_access.period_start
)

select * from final
