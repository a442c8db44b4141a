"""The one translation catalog (Simplified Chinese and English) and locale formats (babel).

Every string a person reads goes through `t(locale, key)`. Service errors carry a key
from here, so the same error reads right on a page, in the API and in an import report.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from backoffice.catalog import CATALOG

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


def format_day(value: date | None, locale: str | None) -> str:
    if value is None:
        return ""
    return format_date(value, format="medium", locale=_babel_locale(locale))


def format_when(value: datetime | None, locale: str | None, tz: str = "Asia/Shanghai") -> str:
    """A stored UTC timestamp shown in the store's zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    aware = value.astimezone(ZoneInfo(tz))
    return format_datetime(aware, format="short", locale=_babel_locale(locale))
