-- Pass 1 of secondary suppression (macros/secondary_suppression.sql); one row per row with a count.
{{ secondary_suppression_pass(ref('int_public_hidden_pass_0'), ref('int_public_groups')) }}
