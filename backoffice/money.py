"""Money typed by a person (¥ with up to two decimals) to integer cents, and back."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from backoffice.errors import ValidationFailed


def parse_yuan(text: str | int | float | None, field: str, *, allow_zero: bool = False) -> int:
    """'12.5' → 1250 cents; a clear field error for anything else."""
    raw = str(text if text is not None else "").strip().replace(",", "").replace("¥", "")
    if not raw:
        if allow_zero:
            return 0
        raise ValidationFailed({field: "error.required"})
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValidationFailed({field: "error.money"}) from exc
    if (
        not value.is_finite()  # "NaN", "inf"
        or value.as_tuple().exponent < -2  # type: ignore[operator]
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        raise ValidationFailed({field: "error.money"})
    return int(value * 100)


def parse_int(text: str | int | None, field: str, *, allow_negative: bool = False) -> int:
    raw = str(text if text is not None else "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValidationFailed({field: "error.number"}) from exc
    if value < 0 and not allow_negative:
        raise ValidationFailed({field: "error.not_negative"})
    return value


def yuan(cents: int) -> str:
    """1250 → '12.50' for inputs (display uses i18n.format_money)."""
    return f"{cents / 100:.2f}"


def parse_percent_bp(text: str | int | None, field: str) -> int:
    """'12.5' (percent) → 1250 basis points, exactly (Decimal); 0–100 with up to two decimals."""
    raw = str(text if text is not None else "").strip().replace("%", "").replace("％", "")
    if not raw:
        return 0
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ValidationFailed({field: "error.percent"}) from exc
    if not value.is_finite() or value.as_tuple().exponent < -2 or not 0 <= value <= 100:  # type: ignore[operator]
        raise ValidationFailed({field: "error.percent"})
    return int(value * 100)


def percent(bp: int) -> str:
    """1250 basis points → '12.5' for inputs and sentences (no trailing zeros)."""
    text = f"{Decimal(bp) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
