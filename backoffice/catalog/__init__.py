"""Every string a person reads: key → (Simplified Chinese, English).

One catalog, kept as data and split by area so translators and developers work in small
files; `backoffice.i18n.t` reads the merged CATALOG. A key defined twice is an error.
May use: nothing of ours.
"""

from __future__ import annotations

from backoffice.catalog import (
    admin,
    api,
    audit,
    builder,
    changes,
    common,
    errors,
    loyalty,
    member_portal,
    members,
    operations,
    reports,
    roles,
    visit_cards,
    workflows,
)

CATALOG: dict[str, tuple[str, str]] = {}
for _module in (
    errors,
    common,
    members,
    admin,
    audit,
    changes,
    loyalty,
    workflows,
    roles,
    builder,
    api,
    reports,
    member_portal,
    operations,
    visit_cards,
):
    for _key, _value in _module.STRINGS.items():
        if _key in CATALOG:
            raise ValueError(f"catalog key {_key!r} is defined twice")
        CATALOG[_key] = _value
