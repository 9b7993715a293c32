{#
    yn_to_boolean(column_name)

    Recode a Y/N/U contract column into a boolean: Y -> true, N -> false, anything
    else (U, empty) -> null, so "unknown" stays unknown instead of becoming false.
    Arguments:
        column_name: the text column holding Y, N or U.
#}
{% macro yn_to_boolean(column_name) -%}
    case {{ column_name }} when 'Y' then true when 'N' then false end
{%- endmacro %}
