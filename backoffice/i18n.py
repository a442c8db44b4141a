"""The one translation catalog (Simplified Chinese and English) and locale formats (babel).

Every string a person reads goes through `t(locale, key)`. Service errors carry a key
from here, so the same error reads right on a page, in the API and in an import report.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from backoffice.catalog import CATALOG
from backoffice.settings import get_settings

LOCALES = ("zh-CN", "en")


def normalize_locale(locale: str | None) -> str:
    return locale if locale in LOCALES else "zh-CN"


def t(locale: str | None, key: str, **params: object) -> str:
    """Translate `key`; unknown keys come back as themselves so a gap is visible, not fatal."""
    entry = CATALOG.get(key)
    if entry is None:
        return key
    text = entry[0] if normalize_locale(locale) == "zh-CN" else entry[1]
    if params:
        with contextlib.suppress(KeyError, IndexError):
            text = text.format(
                **{k: t(locale, str(v)) if str(v) in CATALOG else v for k, v in params.items()}
            )
    return text


def catalog_for(locale: str | None) -> dict[str, str]:
    """The whole catalog in one language, for the UI state."""
    index = 0 if normalize_locale(locale) == "zh-CN" else 1
    return {key: entry[index] for key, entry in CATALOG.items()}


def error_text(locale: str | None, err: Exception) -> str:
    """A DomainError's message in the person's language."""
    message = getattr(err, "message", str(err))
    params = getattr(err, "params", {}) or {}
    return t(locale, message, **params)


def _babel_locale(locale: str | None) -> str:
    return "zh_Hans_CN" if normalize_locale(locale) == "zh-CN" else "en_US"


def format_money(cents: int, locale: str | None, currency: str = "CNY") -> str:
    """Integer cents (分) to ¥1,234.50 in the person's locale."""
    text = format_currency(cents / 100, currency, locale=_babel_locale(locale))
    return text.replace("CN¥", "¥")


def _local(value: datetime, tz: str | None) -> datetime:
    """A stored instant (UTC; naive means UTC) in the store's zone (default: the chain's)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(tz or get_settings().default_timezone))


def format_day(value: date | datetime | None, locale: str | None, tz: str | None = None) -> str:
    """A calendar day ("2026年3月4日", "Mar 4, 2026"); an instant is first put in the zone,
    so a sale at 01:00 in Shanghai is not shown on the UTC day before."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value, tz).date()
    return format_date(value, format="medium", locale=_babel_locale(locale))


def format_when(value: datetime | None, locale: str | None, tz: str | None = None) -> str:
    """A stored UTC timestamp shown in the store's zone ("2026/3/4 09:05", "3/4/26, 9:05 AM").

    Every page shows dates and times through this function and `format_day`; tests compare
    what a page shows with their output, never with a hand-written pattern."""
    if value is None:
        return ""
    return format_datetime(_local(value, tz), format="short", locale=_babel_locale(locale))
