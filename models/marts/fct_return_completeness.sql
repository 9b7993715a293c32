/*
    Return completeness, published: one row per provider per month of its reporting
    window (int_provider_months), saying whether a return was expected, received,
    accepted, refused (and why) or superseded, when the standing copy loaded and how
    many rows it carried. Every figure for a month without an accepted return comes
    from what later returns carry and is flagged on the scorecard (months_with_return,
    is_incomplete). No identifiers; the refusal reason is the ingest's own message.
*/
with

provider_months as (
    select * from {{ ref('int_provider_months') }}
),

final as (
    select
        provider_code,
        return_month,
        month_start_date,
        is_expected,
        is_received,
        has_accepted_return,
        is_refused,
        refusal_reason,
        superseded_loads,
        loaded_at,
        rows_loaded,
        referral_rows,
        is_provisional,
        cast(
            case
                when has_accepted_return then 'accepted'
                when is_refused then 'refused'
                when is_received then 'no_referrals'
                when is_expected then 'missing'
                else 'not_expected'
            end as {{ dbt.type_string() }}
        ) as return_state
    from provider_months
)

select * from final
