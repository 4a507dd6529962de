"""Helpers shared by the customer page tests."""


def save_data(customer, **overrides):
    """The Save Customer form as the page renders it, with `overrides` typed in."""
    fields = list(customer.custom_fields.all())
    data = {
        "customer-vip": "on" if customer.vip else "",
        "customer-email_verification": customer.email_verification,
        "customer-company_name": customer.company_name,
        "customer-billing_email": customer.billing_email,
        "customer-address_line_1": customer.address_line_1,
        "customer-address_line_2": customer.address_line_2,
        "customer-city": customer.city,
        "customer-state": customer.state,
        "customer-postal_code": customer.postal_code,
        "customer-country": customer.country.code,
        "account-username": customer.user.username,
        "account-first_name": customer.user.first_name,
        "account-last_name": customer.user.last_name,
        "account-email": customer.user.email,
        "fields-TOTAL_FORMS": str(len(fields) + 1),
        "fields-INITIAL_FORMS": str(len(fields)),
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }
    for index, field in enumerate(fields):
        data |= {
            f"fields-{index}-id": str(field.pk),
            f"fields-{index}-customer": str(customer.pk),
            f"fields-{index}-key": field.key,
            f"fields-{index}-value": field.value,
        }
    data = {key: value for key, value in data.items() if value != ""}
    return data | overrides
