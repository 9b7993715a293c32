{#
    direct_client_contact(contacts_alias, referrals_alias)

    Whether a contact is a direct contact with the client that can give a referral
    access, as NHS England's IPS dashboard defines access (kpi-catalogue.md "NHS
    England's measures"): contact_type client_face_to_face or client_remote (phone or
    video), dated on or after the referral_date. The return has one row per contact
    that took place (no did-not-attend rows), so every recorded contact is attended.
    Arguments:
        contacts_alias: the relation or CTE alias with contact_type and contact_date.
        referrals_alias: the alias with the contact's referral_date.
    Returns a boolean SQL expression.
#}
{% macro direct_client_contact(contacts_alias, referrals_alias) -%}
    {{ contacts_alias }}.contact_type in ('client_face_to_face', 'client_remote')
    and {{ contacts_alias }}.contact_date >= {{ referrals_alias }}.referral_date
{%- endmacro %}
