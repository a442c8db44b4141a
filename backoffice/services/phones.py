"""Phone numbers: normalised once at the service boundary (phonenumbers), masked for display."""

from __future__ import annotations

import phonenumbers

from backoffice.errors import ValidationFailed
from backoffice.settings import get_settings


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Return E.164 (+8613812345678) or raise a field error."""
    text = (raw or "").strip()
    if not text:
        raise ValidationFailed({field: "error.required"})
    try:
        number = phonenumbers.parse(text, get_settings().phone_region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed({field: "error.phone_invalid"}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed({field: "error.phone_invalid"})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """National format for the home region (13812345678, 02162881234), international otherwise."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    if region == get_settings().phone_region:
        # The national format keeps a landline's trunk prefix (021…), which is dialled.
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(e164: str) -> str:
    """138****5678: keeps the first 3 and last 4 digits of the displayed number."""
    shown = display_phone(e164).replace(" ", "")
    if len(shown) < 8:
        return "*" * len(shown)
    return shown[:3] + "*" * (len(shown) - 7) + shown[-4:]


def phone_search_key(text: str) -> str:
    """Digits of a search box entry, so '138 1234' matches like '1381234'."""
    return "".join(ch for ch in text if ch.isdigit())
