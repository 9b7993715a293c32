/*
    NHS England's IPS dashboard measures (int_access_kpi_events) rolled up by
    kpi_rollup to every organisation level, per month, quarter and financial year;
    headline rows zero-filled over int_provider_periods; value is numerator /
    denominator (the count when there is none), null when the denominator is 0;
    referrals_accessed_in_year (once per referral per financial year) keeps its
    financial-year rows only, as its catalogue period_types says.
    One row per organisation per period per KPI per breakdown.
*/
with

rolled_up as (
    {{ kpi_rollup(ref('int_access_kpi_events')) }}
),

final as (
    select
        org_code,
        org_level,
        period_type,
        period_start,
        period_end,
        kpi_code,
        breakdown_type,
        breakdown_value,
        numerator,
        denominator,
        value
    from rolled_up
    where kpi_code <> 'referrals_accessed_in_year'
        or period_type = 'financial_year'
)

select * from final
