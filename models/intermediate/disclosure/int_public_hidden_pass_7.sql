-- Pass 7 of secondary suppression (macros/secondary_suppression.sql); one row per row with a count.
{{ secondary_suppression_pass(ref('int_public_hidden_pass_6'), ref('int_public_groups')) }}
