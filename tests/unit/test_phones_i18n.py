"""Phone numbers (normalised once, masked for display) and the translation catalog."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backoffice.errors import AuthFailed, ValidationFailed
from backoffice.i18n import (
    catalog_for,
    error_text,
    format_day,
    format_money,
    format_when,
    normalize_locale,
    t,
)
from backoffice.services.phones import (
    display_phone,
    mask_phone,
    normalize_phone,
    phone_search_key,
)

# ---- phones -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "+8613800138000"),
        (" 138 0013 8000 ", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("021-62881234", "+862162881234"),
        ("+1 650 253 0000", "+16502530000"),
        ("+852 9123 4567", "+85291234567"),
    ],
)
def test_phone_is_normalised_to_international_form(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "error.required"),
        ("   ", "error.required"),
        ("12345", "error.phone_invalid"),
        ("1380013800", "error.phone_invalid"),
        ("phone", "error.phone_invalid"),
        ("+999 123", "error.phone_invalid"),
    ],
)
def test_bad_phone_is_a_field_error(typed, message):
    with pytest.raises(ValidationFailed) as err:
        normalize_phone(typed)
    assert err.value.errors == {"phone": message}


def test_phone_error_names_the_field_it_is_about():
    with pytest.raises(ValidationFailed) as err:
        normalize_phone("12345", field="referrer_ref")
    assert err.value.errors == {"referrer_ref": "error.phone_invalid"}


@pytest.mark.parametrize(
    ("stored", "shown", "masked"),
    [
        ("+8613800138000", "13800138000", "138****8000"),
        ("+862162881234", "02162881234", "021****1234"),
        ("+16502530000", "+1 650-253-0000", "+16*******0000"),
    ],
    ids=["mobile", "landline_keeps_its_area_code", "abroad"],
)
def test_phone_is_shown_nationally_at_home_and_masked_without_pii(stored, shown, masked):
    assert display_phone(stored) == shown
    assert mask_phone(stored) == masked
    assert normalize_phone(shown) == stored  # what is shown can be typed back in


def test_unparseable_stored_phone_is_shown_as_is_and_masked_whole():
    assert display_phone("garbage") == "garbage"
    assert mask_phone("12") == "**"


def test_search_key_keeps_only_digits():
    assert phone_search_key("+86 138-0013 8000") == "8613800138000"
    assert phone_search_key("王芳") == ""


# ---- translations -----------------------------------------------------------------------


def test_message_is_given_in_the_persons_language():
    assert t("zh-CN", "error.required") == "必填"
    assert t("en", "error.required") == "Required"


@pytest.mark.parametrize("locale", [None, "", "fr", "zh-TW"])
def test_unknown_language_falls_back_to_simplified_chinese(locale):
    assert normalize_locale(locale) == "zh-CN"
    assert t(locale, "error.required") == "必填"


def test_unknown_key_is_shown_as_itself_so_the_gap_is_visible():
    assert t("en", "error.no_such_key") == "error.no_such_key"


def test_parameters_are_filled_in():
    assert t("en", "error.locked", minutes=15) == (
        "Too many wrong passwords: the account is locked, try again in 15 minutes"
    )
    assert t("zh-CN", "error.duplicate_in_file", row=7) == "文件中重复（第 7 行）"


def test_a_parameter_that_is_itself_a_key_is_translated_too():
    assert t("en", "error.permission", permission="error.required") == "Not allowed (Required)"


def test_missing_parameters_leave_the_text_readable_instead_of_failing():
    assert "{minutes}" in t("en", "error.locked", other=1)


def test_error_text_translates_a_domain_error_with_its_parameters():
    err = AuthFailed("error.locked", field="login", minutes=3)
    assert error_text("en", err).endswith("try again in 3 minutes")
    assert error_text("en", ValueError("plain")) == "plain"


def test_whole_catalog_in_one_language_for_the_page_state():
    english, chinese = catalog_for("en"), catalog_for("zh-CN")
    assert english["error.required"] == "Required" and chinese["error.required"] == "必填"
    assert set(english) == set(chinese)


# ---- formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_money_is_integer_cents_shown_in_yuan(locale):
    assert format_money(123_450, locale) == "¥1,234.50"
    assert format_money(5, locale) == "¥0.05"


def test_day_is_written_the_local_way():
    assert format_day(date(2026, 1, 2), "zh-CN") == "2026年1月2日"
    assert format_day(date(2026, 1, 2), "en") == "Jan 2, 2026"
    assert format_day(None, "en") == ""


def test_time_stored_in_utc_is_shown_in_the_store_zone():
    late_utc = datetime(2026, 1, 1, 16, 30, tzinfo=UTC)  # already 2 January in Shanghai
    assert format_when(late_utc, "zh-CN") == "2026/1/2 00:30"
    assert format_when(late_utc.replace(tzinfo=None), "zh-CN") == "2026/1/2 00:30"
    assert format_when(late_utc, "zh-CN", tz="Europe/London") == "2026/1/1 16:30"
    assert format_when(None, "en") == ""


def test_time_is_written_the_local_way_with_single_digit_day_and_month():
    morning_utc = datetime(2026, 3, 4, 1, 5, tzinfo=UTC)  # 09:05 on 4 March in Shanghai
    assert format_when(morning_utc, "zh-CN") == "2026/3/4 09:05"
    assert format_when(morning_utc, "en") == "3/4/26, 9:05\u202fAM"


def test_day_of_an_instant_is_the_day_in_the_store_zone():
    after_midnight = datetime(2026, 3, 3, 17, 30, tzinfo=UTC)  # 01:30 on 4 March in Shanghai
    assert format_day(after_midnight, "zh-CN") == "2026年3月4日"
    assert format_day(after_midnight, "en", tz="Europe/London") == "Mar 3, 2026"
