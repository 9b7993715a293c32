/*
    The groups secondary suppression protects (README "Disclosure control", step 3): a
    parent row and the rows that add up to it, over the rows with a count
    (int_public_rows): an ICB and its providers, an NHS England region and its ICBs,
    England and its regions (int_org_membership); a financial year and its quarters, a
    quarter and its months; a headline and the categories of one breakdown. A family of
    groups (one dimension, one KPI, one breakdown) is kept for a column only where the
    parent is the sum of its children in every group, as ipskpi.disclosure checks (a
    caseload at the period end is not the sum of its months).
    One row per group per row in it (the parent with is_group_parent).
*/

with

public_rows as (
    select * from {{ ref('int_public_rows') }}
),

counted as (
    select * from public_rows
    where is_numerator_a_count or is_denominator_a_count
),

org_memberships as (
    select * from {{ ref('int_org_membership') }}
),

-- Each organisation's parent, one level up the chain the roll-ups sum along: a provider's
-- is its ICB, an ICB's its NHS England region, a region's England. With the full chain
-- every level pair is a group of its own (parent + children), so England minus the
-- regions, a region minus its ICBs and an ICB minus its providers are all protected; a
-- direct provider -> England group would add nothing the chain does not already cover.
-- A parent with a single child (an ICB of one provider) is a group of two equal rows.
org_parents as (
    select distinct
        provider_code as child_org_code,
        org_code as parent_org_code
    from org_memberships
    where org_level = 'icb'
    union all
    select distinct
        icbs.org_code as child_org_code,
        regions.org_code as parent_org_code
    from org_memberships as icbs
    inner join org_memberships as regions
        on icbs.provider_code = regions.provider_code
    where icbs.org_level = 'icb'
        and regions.org_level = 'region'
    union all
    select distinct
        regions.org_code as child_org_code,
        england.org_code as parent_org_code
    from org_memberships as regions
    inner join org_memberships as england
        on regions.provider_code = england.provider_code
    where regions.org_level = 'region'
        and england.org_level = 'england'
),

org_children as (
    select
        'organisation' as dimension,
        {{ dbt.concat(["'organisation '", "parents.kpi_code", "' '", "parents.breakdown_type_key"]) }} as family,
        parents.row_id as parent_row_id,
        '~' as breakdown_type_key,
        children.row_id
    from counted as children
    inner join org_parents
        on children.org_code = org_parents.child_org_code
    inner join counted as parents
        on org_parents.parent_org_code = parents.org_code
        and children.period_type = parents.period_type
        and children.period_start = parents.period_start
        and children.kpi_code = parents.kpi_code
        and children.breakdown_type_key = parents.breakdown_type_key
        and children.breakdown_value_key = parents.breakdown_value_key
),

period_children as (
    select
        'period' as dimension,
        {{ dbt.concat([
            "'period '", "parents.period_type", "' '", "parents.kpi_code", "' '", "parents.breakdown_type_key"
        ]) }} as family,
        parents.row_id as parent_row_id,
        '~' as breakdown_type_key,
        children.row_id
    from counted as children
    inner join counted as parents
        on children.org_code = parents.org_code
        and children.kpi_code = parents.kpi_code
        and children.breakdown_type_key = parents.breakdown_type_key
        and children.breakdown_value_key = parents.breakdown_value_key
        and children.period_start >= parents.period_start
        and children.period_end <= parents.period_end
    where (parents.period_type = 'financial_year' and children.period_type = 'quarter')
        or (parents.period_type = 'quarter' and children.period_type = 'month')
),

breakdown_children as (
    select
        'breakdown' as dimension,
        {{ dbt.concat(["'breakdown '", "headlines.kpi_code", "' '", "categories.breakdown_type_key"]) }} as family,
        headlines.row_id as parent_row_id,
        categories.breakdown_type_key,
        categories.row_id
    from counted as categories
    inner join counted as headlines
        on categories.org_code = headlines.org_code
        and categories.period_type = headlines.period_type
        and categories.period_start = headlines.period_start
        and categories.kpi_code = headlines.kpi_code
    where headlines.breakdown_type is null
        and categories.breakdown_type is not null
),

all_children as (
    select * from org_children
    union all
    select * from period_children
    union all
    select * from breakdown_children
),

group_sums as (
    select
        all_children.family,
        all_children.dimension,
        all_children.parent_row_id,
        all_children.breakdown_type_key,
        sum(children.numerator_count) as numerator_sum,
        sum(children.denominator_count) as denominator_sum
    from all_children
    inner join counted as children
        on all_children.row_id = children.row_id
    group by
        all_children.family,
        all_children.dimension,
        all_children.parent_row_id,
        all_children.breakdown_type_key
),

-- A family of groups (one dimension, one KPI, one breakdown) is protected for a column
-- only where the parent is the sum of its children in every group, as ipskpi.disclosure
-- checks (a caseload at the period end is not the sum of its months).
families as (
    select
        group_sums.family,
        min(
            case when abs(parents.numerator_count - group_sums.numerator_sum) < 0.000001 then 1 else 0 end
        ) = 1 as is_numerator_additive,
        min(
            case when abs(parents.denominator_count - group_sums.denominator_sum) < 0.000001 then 1 else 0 end
        ) = 1 as is_denominator_additive
    from group_sums
    inner join counted as parents
        on group_sums.parent_row_id = parents.row_id
    group by group_sums.family
),

additive_groups as (
    select
        -- An integer key: the suppression passes join and group on it millions of times a
        -- pass, a quarter faster than on a string of dimension, parent and breakdown.
        dense_rank() over (
            order by group_sums.dimension, group_sums.parent_row_id, group_sums.breakdown_type_key
        ) as group_id,
        group_sums.family,
        group_sums.dimension,
        group_sums.parent_row_id,
        group_sums.breakdown_type_key,
        coalesce(families.is_numerator_additive, false) as is_numerator_additive,
        coalesce(families.is_denominator_additive, false) as is_denominator_additive
    from group_sums
    inner join families
        on group_sums.family = families.family
    where coalesce(families.is_numerator_additive, false) or coalesce(families.is_denominator_additive, false)
),

memberships as (
    select
        additive_groups.group_id,
        all_children.row_id,
        false as is_group_parent,
        additive_groups.is_numerator_additive,
        additive_groups.is_denominator_additive
    from all_children
    inner join additive_groups
        on all_children.dimension = additive_groups.dimension
        and all_children.parent_row_id = additive_groups.parent_row_id
        and all_children.breakdown_type_key = additive_groups.breakdown_type_key
    union all
    select
        group_id,
        parent_row_id as row_id,
        true as is_group_parent,
        is_numerator_additive,
        is_denominator_additive
    from additive_groups
)

select * from memberships
