/*
    The rows of the public scorecard before disclosure control (README "Disclosure
    control", step 1 and 2): every row of fct_kpi_scorecard with a row id, which of its
    numerator, denominator and value are counts of people or events (from the KPI
    registry, dim_kpis: is_numerator_a_count, is_denominator_a_count, is_value_a_count;
    a KPI missing from it counts as neither), those counts, and whether a count from 0
    to 4 hides the row (primary suppression).
    Read by int_public_groups, int_public_hidden_pass_0 and fct_kpi_scorecard_public.
    One row per organisation per period per KPI per breakdown.
*/

with

scorecard as (
    select * from {{ ref('fct_kpi_scorecard') }}
),

kpis as (
    select * from {{ ref('dim_kpis') }}
),

counts_classified as (
    select
        scorecard.*,
        kpis.unit,
        kpis.public_value,
        coalesce(kpis.is_numerator_a_count, false) as is_numerator_a_count,
        coalesce(kpis.is_denominator_a_count, false) as is_denominator_a_count,
        coalesce(kpis.is_value_a_count, false) as is_value_a_count
    from scorecard
    left join kpis
        on scorecard.kpi_code = kpis.kpi_code
),

flagged as (
    select
        *,
        -- Nulls sort differently across engines: the row id orders on non-null keys.
        row_number() over (
            order by
                org_code, period_type, period_start, kpi_code,
                coalesce(breakdown_type, '~'), coalesce(breakdown_value, '~')
        ) as row_id,
        coalesce(breakdown_type, '~') as breakdown_type_key,
        coalesce(breakdown_value, '~') as breakdown_value_key,
        case when is_numerator_a_count then numerator end as numerator_count,
        case when is_denominator_a_count then denominator end as denominator_count,
        (is_numerator_a_count and coalesce(numerator >= 0 and numerator <= 4, false))
        or (is_denominator_a_count and coalesce(denominator >= 0 and denominator <= 4, false))
            as is_primary_suppressed
    from counts_classified
)

select * from flagged
