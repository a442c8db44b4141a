"""Audit changes as a manager reads them: "所属门店：无 → 上海静安店", not `home_store_id: — → 4`.

One formatter for the audit page and the member timeline. An entry's changes are stored as
{field: [before, after]} or {field: value}; each field gets its label from the catalog and
each value is shown in the reader's language, with names instead of ids (stores, tiers,
roles, staff, members, custom fields), money in ¥ and flags as 是/否. The names are looked
up once per page of entries, not per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from backoffice.catalog import CATALOG
from backoffice.i18n import format_day, format_money, t
from backoffice.models import FormField, Member, Role, Staff, Store, Tier
from backoffice.money import percent

# Fields whose values are ids of another table: (table, the names' dict in Names).
ID_FIELDS = {
    "home_store_id": "stores",
    "store_id": "stores",
    "store_ids": "stores",
    "tier_id": "tiers",
    "role_id": "roles",
    "referrer_id": "members",
    "staff_id": "staff",
    "created_by": "staff",
}
# Fields holding money in cents whose names do not end in _cents.
MONEY_FIELDS = {"amount", "bonus", "cash", "wallet_restored"}
# Fields whose values are codes with a catalog label (field → key prefix).
CODED_FIELDS = {
    "status": "status.",
    "gender": "gender.",
    "role": "role.",
    "metric": "metric.",
    "pay_method": "pay.",
    "channel": "channel.",
}
LOCALE_NAMES = {"zh-CN": "中文", "en": "English"}


@dataclass
class Names:
    """Display names of everything the entries refer to by id, loaded in one go."""

    stores: dict[int, str] = field(default_factory=dict)
    tiers: dict[int, str] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    members: dict[int, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    tier_codes: dict[str, str] = field(default_factory=dict)


def _ids(values: Iterable[Any]) -> set[int]:
    out: set[int] = set()
    for v in values:
        items = v if isinstance(v, list) else [v]
        out.update(int(i) for i in items if isinstance(i, int) and not isinstance(i, bool))
    return out


def _wanted(changes_list: Iterable[dict[str, Any]]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {k: set() for k in set(ID_FIELDS.values())}
    for changes in changes_list:
        for key, value in (changes or {}).items():
            if key in ID_FIELDS:
                pair = value if _is_pair(value) else [value]
                wanted[ID_FIELDS[key]] |= _ids(pair)
    return wanted


def load_names(
    session: Session,
    changes_list: Iterable[dict[str, Any]],
    lang: str,
    targets: Iterable[tuple[str, str]] = (),
) -> Names:
    """The names the given changes and targets (type, id) need, one query per table."""
    changes_list = list(changes_list)
    wanted = _wanted(changes_list)
    tables = {"member": "members", "store": "stores", "staff": "staff"}
    for target_type, target_id in targets:
        if target_type in tables and str(target_id).isdigit():
            wanted[tables[target_type]].add(int(target_id))
    names = Names()

    def fetch(model: Any, ids: set[int], label: Any) -> dict[int, str]:
        if not ids:
            return {}
        rows = session.exec(select(model).where(col(model.id).in_(sorted(ids)))).all()
        return {int(r.id): label(r) for r in rows}

    names.stores = fetch(Store, wanted["stores"], lambda s: s.name)
    names.tiers = fetch(Tier, wanted["tiers"], lambda r: r.name)
    names.roles = fetch(Role, wanted["roles"], lambda r: t(lang, f"role.{r.code}"))
    names.staff = fetch(Staff, wanted["staff"], lambda s: s.display_name)
    names.members = fetch(Member, wanted["members"], lambda m: f"{m.name}（{m.member_no}）")
    if any(k.startswith("custom.") for c in changes_list for k in c or {}):
        names.custom = {f.key: f.label for f in session.exec(select(FormField)).all()}
    if any("tier" in (c or {}) for c in changes_list):
        names.tier_codes = {r.code: r.name for r in session.exec(select(Tier)).all()}
    return names


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def field_label(key: str, lang: str, names: Names, member: bool = False) -> str:
    """A field's name in the reader's language (the catalog), a custom field by its label;
    on a member's entry "name" is 姓名 (mfield), elsewhere 名称 (field)."""
    if key.startswith("custom."):
        return names.custom.get(key.removeprefix("custom."), key.removeprefix("custom."))
    if key.startswith("consent."):
        return t(lang, "change.consent", channel=t(lang, "channel." + key.removeprefix("consent.")))
    order = ("change.", "mfield.", "field.") if member else ("change.", "field.", "mfield.")
    for prefix in order:
        if prefix + key in CATALOG:
            return t(lang, prefix + key)
    return key


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def show_value(key: str, value: Any, lang: str, names: Names) -> str:
    """One stored value as a person reads it."""
    if _empty(value):
        return t(lang, "change.none")
    if isinstance(value, bool):
        return t(lang, "common.yes" if value else "common.no")
    if key in ID_FIELDS:
        table: dict[int, str] = getattr(names, ID_FIELDS[key])
        items = value if isinstance(value, list) else [value]
        return "、".join(table.get(i, f"#{i}") if isinstance(i, int) else str(i) for i in items)
    if isinstance(value, int) and (key.endswith("_cents") or key in MONEY_FIELDS):
        return format_money(value, lang)
    if isinstance(value, int) and key.endswith("_bp"):
        return percent(value) + "%"
    if key in CODED_FIELDS and f"{CODED_FIELDS[key]}{value}" in CATALOG:
        return t(lang, f"{CODED_FIELDS[key]}{value}")
    if key == "tier" and isinstance(value, str):
        return names.tier_codes.get(value, value)
    if key == "locale":
        return LOCALE_NAMES.get(str(value), str(value))
    return _plain(value, lang)


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v, lang) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}={_plain(v, lang)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:  # an ISO date or instant: the day in the reader's format
            day = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            return format_day(day, lang)
        except ValueError:
            return value
    return str(value)


def describe(changes: dict[str, Any], lang: str, names: Names, target_type: str = "") -> str:
    """ "所属门店：无 → 上海静安店；姓名：张三 → 李四". A field set on creation shows its value."""
    parts = []
    for key, value in (changes or {}).items():
        label = field_label(key, lang, names, member=target_type == "member")
        if _is_pair(value):
            before, after = value
            if before is None:
                shown = show_value(key, after, lang, names)
            else:
                shown = t(
                    lang,
                    "change.from_to",
                    before=show_value(key, before, lang, names),
                    after=show_value(key, after, lang, names),
                )
        else:
            shown = show_value(key, value, lang, names)
        parts.append(t(lang, "change.part", label=label, value=shown))
    return t(lang, "change.separator").join(parts)


def describe_all(
    session: Session, changes_list: list[dict[str, Any]], lang: str, target_type: str = ""
) -> list[str]:
    """Each entry's changes as a sentence, the names looked up once for all of them."""
    names = load_names(session, changes_list, lang)
    return [describe(c, lang, names, target_type) for c in changes_list]


def target_label(target_type: str, target_id: str, lang: str, names: Names) -> str:
    """What an entry is about: a member or staff by name, a store by its name."""
    if not target_type:
        return ""
    ident = int(target_id) if str(target_id).isdigit() else None
    table = {"member": names.members, "store": names.stores, "staff": names.staff}.get(
        target_type, {}
    )
    kind = t(lang, f"target.{target_type}") if f"target.{target_type}" in CATALOG else target_type
    if ident is not None and ident in table:
        return f"{kind} {table[ident]}"
    return f"{kind} #{target_id}"
