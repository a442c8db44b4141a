"""Members: create, edit, status changes, search and the timeline, all within store scope."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, delete, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.models import (
    AuditEntry,
    FieldType,
    FormField,
    Member,
    MemberStatus,
    MemberTag,
    Store,
)
from backoffice.models.base import utcnow
from backoffice.models.members import Gender
from backoffice.services import events
from backoffice.services.members import forms
from backoffice.services.members.custom_field_index import custom_contains, custom_equals
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require, restrict, scoped_store_ids
from backoffice.services.org.stores import ensure_store_exists
from backoffice.services.phones import (
    display_phone,
    mask_phone,
    normalize_phone,
    phone_search_key,
)
from backoffice.services.reports import daily_stats

MAX_PAGE_SIZE = 200
SORTS = {
    "newest": (col(Member.id).desc(),),
    "oldest": (col(Member.id).asc(),),
    "name": (col(Member.name).asc(), col(Member.id).asc()),
    "joined": (col(Member.joined_at).desc(), col(Member.id).desc()),
}


class MemberInput(BaseModel):
    """What a form, the API, an import or a workflow sends to create or edit a member."""

    name: str = ""
    phone: str = ""
    gender: str = Gender.UNKNOWN.value
    birthday: str | date | None = None
    email: str = ""
    home_store_id: int | None = None
    tags: list[str] = []
    notes: str = ""
    custom: dict[str, Any] = {}
    member_no: str = ""  # optional: imports from an old system keep their card numbers
    joined_at: str | date | None = None
    referrer_ref: str = ""  # the referring member's number or phone (referral rewards)


@dataclass
class MemberRow:
    """A member as a list or detail page shows it: masked unless the actor holds pii.view."""

    id: int
    member_no: str
    name: str
    phone: str
    gender: str
    birthday: str
    email: str
    home_store_id: int
    store_name: str
    status: str
    status_reason: str
    joined_at: datetime
    tags: list[str]
    notes: str
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass
class MemberQuery:
    q: str = ""
    store_id: int | None = None
    status: str = ""
    tag: str = ""
    custom: dict[str, Any] = field(default_factory=dict)
    sort: str = "newest"
    page: int = 1
    page_size: int = 20
    phone: str = ""  # exactly this number (any format)
    member_no: str = ""  # exactly this member number


@dataclass
class MemberPage:
    rows: list[MemberRow]
    total: int  # exact up to a limit (see COUNT_LIMIT); beyond it the limit, `more` set
    page: int
    page_size: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# ---- validation -------------------------------------------------------------------------


def _parse_date(value: str | date | None, name: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = "error.date"
        return None


def clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in out:
            out.append(tag[:40])
    return out


def validate_member(
    session: Session,
    data: MemberInput,
    fields: list[FormField],
    existing: Member | None = None,
) -> dict[str, Any]:
    """Every field checked at once, so the form can show all problems together."""
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "error.required"
    elif len(name) > 100:
        errors["name"] = "error.too_long"
    phone = ""
    try:
        phone = normalize_phone(data.phone)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if data.gender not in {g.value for g in Gender}:
        errors["gender"] = "error.choice"
    birthday = _parse_date(data.birthday, "birthday", errors)
    if birthday and (birthday > date.today() or birthday.year < 1900):
        errors["birthday"] = "error.birthday_range"
    email = data.email.strip()
    if email and ("@" not in email or "." not in email.split("@")[-1] or " " in email):
        errors["email"] = "error.email"
    if data.home_store_id is None:
        errors["home_store_id"] = "error.required"
    else:
        try:
            ensure_store_exists(session, data.home_store_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    joined = _parse_date(data.joined_at, "joined_at", errors)
    # Card numbers are ASCII and upper case: searches and the counter look them up upper-cased.
    member_no = data.member_no.strip().upper()
    if member_no and (len(member_no) > 20 or not (member_no.isascii() and member_no.isalnum())):
        errors["member_no"] = "error.member_no"
    try:
        custom = forms.clean_custom_values(
            fields, data.custom, existing.custom if existing else None
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
        custom = {}
    if len(data.notes) > 2000:
        errors["notes"] = "error.too_long"
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {
        "name": name,
        "phone": phone,
        "phone_tail": phone[-4:],
        "gender": Gender(data.gender),
        "birthday": birthday,
        "email": email,
        "home_store_id": data.home_store_id,
        "notes": data.notes.strip(),
        "custom": custom,
    }
    if member_no:
        values["member_no"] = member_no
    if joined:
        values["joined_at"] = datetime.combine(joined, datetime.min.time(), tzinfo=UTC)
    return values


def _member_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Audit diff of a member: custom values one key each, derived and empty fields left out."""
    flat_before, flat_after = dict(before), dict(after)
    for flat in (flat_before, flat_after):
        flat.pop("phone_tail", None)
        for key, value in (flat.pop("custom", None) or {}).items():
            flat[f"custom.{key}"] = value
    changes = audit.diff(flat_before, flat_after)
    return {
        k: v for k, v in changes.items() if v[0] not in (None, "", []) or v[1] not in (None, "", [])
    }


def _check_unique(
    session: Session, actor: Actor, values: dict[str, Any], member_id: int | None
) -> None:
    clash = session.exec(select(Member).where(Member.phone == values["phone"])).first()
    if clash is not None and clash.id != member_id:
        if actor.in_scope(clash.home_store_id):
            raise ValidationFailed({"phone": "error.phone_duplicate_of"}) from None
        raise ValidationFailed({"phone": "error.phone_duplicate"})
    if "member_no" in values:
        clash = session.exec(select(Member).where(Member.member_no == values["member_no"])).first()
        if clash is not None and clash.id != member_id:
            raise ValidationFailed({"member_no": "error.member_no_taken"})


# ---- writes -----------------------------------------------------------------------------


def create_member(
    session: Session, actor: Actor, data: MemberInput, *, source: str = "form"
) -> Member:
    """Register a member at a store in the actor's scope (the sign-up and referral points are
    `loyalty.enrolment.enrol_member`'s: an import or the demo brings members without them)."""
    require(actor, "members.write")
    if data.home_store_id is None and actor.home_store_id is not None:
        data = data.model_copy(update={"home_store_id": actor.home_store_id})
    values = validate_member(session, data, forms.list_fields(session))
    require(actor, "members.write", values["home_store_id"])
    _check_unique(session, actor, values, None)
    referrer = find_referrer(session, data.referrer_ref)
    tags = clean_tags(data.tags)
    generated = "member_no" not in values
    member = Member(
        **{"member_no": values.pop("member_no", "T" + uuid.uuid4().hex[:19])},
        **values,
        # None when no staff member acted (a member signing up on the member portal).
        created_by=actor.staff_id or None,
        referrer_id=referrer.id if referrer else None,
    )
    session.add(member)
    session.flush()
    if generated:  # the random number above only held the unique slot until the id was known
        member.member_no = _free_member_no(session, f"M{member.id:08d}")
        session.add(member)
    for tag in tags:
        session.add(MemberTag(member_id=member.id or 0, tag=tag))
    session.flush()
    daily_stats.member_created(session, member)
    audit.record(
        session,
        actor,
        "members.create",
        target_type="member",
        target_id=member.id,
        store_id=member.home_store_id,
        changes={
            **_member_changes({}, {**values, "tags": tags, "member_no": member.member_no}),
            "source": source,
        },
    )
    events.emit(
        session,
        "member.created",
        member_id=member.id,
        store_id=member.home_store_id,
        payload={"source": source},
    )
    return member


def _free_member_no(session: Session, number: str) -> str:
    """The generated number, or a suffixed one if an imported card number already took it."""
    candidate, suffix = number, 0
    while session.exec(select(Member.id).where(Member.member_no == candidate)).first():
        suffix += 1
        candidate = f"{number}X{suffix}"
    return candidate


def find_referrer(session: Session, ref: str) -> Member | None:
    """A referral code is the referrer's member number or phone number."""
    ref = ref.strip()
    if not ref:
        return None
    conditions = [Member.member_no == ref.upper()]
    with contextlib.suppress(ValidationFailed):
        conditions.append(Member.phone == normalize_phone(ref, field="referrer_ref"))
    referrer = session.exec(select(Member).where(or_(*conditions))).first()
    if referrer is None or referrer.status != MemberStatus.ACTIVE:
        raise ValidationFailed({"referrer_ref": "error.referrer_unknown"})
    return referrer


def _load_in_scope(
    session: Session, actor: Actor, member_id: int, *, for_update: bool = False
) -> Member:
    stmt = select(Member).where(Member.id == member_id)
    if for_update:
        stmt = stmt.with_for_update()
    member = session.exec(stmt).first()
    if member is None or not actor.in_scope(member.home_store_id):
        raise NotFound("error.member_not_found")
    return member


def member_tags(session: Session, member_id: int) -> list[str]:
    return sorted(session.exec(select(MemberTag.tag).where(MemberTag.member_id == member_id)).all())


def update_member(session: Session, actor: Actor, member_id: int, data: MemberInput) -> Member:
    """Edit a member; the audit entry holds before/after of each changed field."""
    require(actor, "members.write")
    member = _load_in_scope(session, actor, member_id, for_update=True)
    require(actor, "members.write", member.home_store_id)
    if member.status == MemberStatus.CANCELLED:
        raise ValidationFailed({"status": "error.member_cancelled"})
    values = validate_member(session, data, forms.list_fields(session), existing=member)
    values.pop("joined_at", None)
    if values.get("member_no", member.member_no) != member.member_no:
        raise ValidationFailed({"member_no": "error.member_no_fixed"})
    values.pop("member_no", None)
    require(actor, "members.write", values["home_store_id"])
    _check_unique(session, actor, values, member_id)
    old_tags = member_tags(session, member_id)
    new_tags = clean_tags(data.tags)
    before = {k: getattr(member, k) for k in values}
    old_store = member.home_store_id
    for key, value in values.items():
        setattr(member, key, value)
    if sorted(new_tags) != old_tags:
        session.exec(delete(MemberTag).where(col(MemberTag.member_id) == member_id))
        for tag in new_tags:
            session.add(MemberTag(member_id=member_id, tag=tag))
    changes = _member_changes({**before, "tags": old_tags}, {**values, "tags": sorted(new_tags)})
    if not changes:
        return member
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    daily_stats.member_moved(session, member, old_store, member.joined_at)
    audit.record(
        session,
        actor,
        "members.update",
        target_type="member",
        target_id=member_id,
        store_id=member.home_store_id,
        changes=changes,
    )
    events.emit(
        session,
        "member.updated",
        member_id=member_id,
        store_id=member.home_store_id,
        payload={"fields": sorted(changes)},
    )
    return member


_TRANSITIONS: dict[str, tuple[set[MemberStatus], MemberStatus]] = {
    "freeze": ({MemberStatus.ACTIVE}, MemberStatus.FROZEN),
    "unfreeze": ({MemberStatus.FROZEN}, MemberStatus.ACTIVE),
    "cancel": ({MemberStatus.ACTIVE, MemberStatus.FROZEN}, MemberStatus.CANCELLED),
    "restore": ({MemberStatus.CANCELLED}, MemberStatus.ACTIVE),
}


def change_member_status(
    session: Session, actor: Actor, member_id: int, action: str, reason: str
) -> Member:
    """freeze / unfreeze / cancel / restore, each with a reason kept on the timeline."""
    if action not in _TRANSITIONS:
        raise ValidationFailed({"action": "error.choice"})
    require(actor, "members.status")
    member = _load_in_scope(session, actor, member_id, for_update=True)
    require(actor, "members.status", member.home_store_id)
    allowed_from, target = _TRANSITIONS[action]
    if member.status not in allowed_from:
        raise ValidationFailed({"status": "error.status_transition"})
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": "error.reason_required"})
    if len(reason) > 300:
        raise ValidationFailed({"reason": "error.too_long"})
    before = member.status
    member.status = target
    member.status_reason = reason
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor,
        f"members.{action}",
        target_type="member",
        target_id=member_id,
        store_id=member.home_store_id,
        changes={"status": [before.value, target.value], "reason": reason},
    )
    events.emit(
        session,
        "member.status_changed",
        member_id=member_id,
        store_id=member.home_store_id,
        payload={"from": before.value, "to": target.value},
    )
    return member


# ---- reads ------------------------------------------------------------------------------


def _to_row(actor: Actor, member: Member, store_name: str, tags: list[str]) -> MemberRow:
    pii = actor.can("pii.view")
    email = member.email
    if email and not pii:
        user, _, domain = email.partition("@")
        email = (user[:1] + "***@" + domain) if domain else "***"
    return MemberRow(
        id=member.id or 0,
        member_no=member.member_no,
        name=member.name,
        phone=display_phone(member.phone) if pii else mask_phone(member.phone),
        gender=member.gender.value if hasattr(member.gender, "value") else str(member.gender),
        birthday=member.birthday.isoformat() if member.birthday else "",
        email=email,
        home_store_id=member.home_store_id,
        store_name=store_name,
        status=member.status.value if hasattr(member.status, "value") else str(member.status),
        status_reason=member.status_reason,
        joined_at=member.joined_at,
        tags=tags,
        notes=member.notes,
        custom=dict(member.custom or {}),
    )


def get_member(session: Session, actor: Actor, member_id: int) -> MemberRow:
    require(actor, "members.read")
    member = _load_in_scope(session, actor, member_id)
    store = session.get(Store, member.home_store_id)
    return _to_row(actor, member, store.name if store else "", member_tags(session, member_id))


def get_member_for_edit(session: Session, actor: Actor, member_id: int) -> MemberInput:
    """Unmasked values for the edit form: only for staff allowed to edit this member."""
    require(actor, "members.write")
    member = _load_in_scope(session, actor, member_id)
    require(actor, "members.write", member.home_store_id)
    return MemberInput(
        name=member.name,
        phone=display_phone(member.phone),
        gender=member.gender.value,
        birthday=member.birthday.isoformat() if member.birthday else "",
        email=member.email,
        home_store_id=member.home_store_id,
        tags=member_tags(session, member_id),
        notes=member.notes,
        custom=dict(member.custom or {}),
        member_no=member.member_no,
    )


def _custom_condition(session: Session, field_def: FormField, value: Any, index: int) -> Any:
    cleaned = forms.coerce_value(field_def.model_copy(update={"required": False}), value)
    if cleaned is None or cleaned == []:
        return None
    if field_def.type == FieldType.MULTI_CHOICE:
        return custom_contains(session, field_def.key, cleaned[0], index)
    return custom_equals(session, field_def.key, field_def.type, cleaned)


def _search_condition(q: str) -> Any:
    """Name prefix, member number, or phone (last 4 digits, or the number's start)."""
    q = q.strip()
    conditions: list[Any] = []
    upper = q + "\U0010ffff"
    conditions.append(col(Member.name).between(q, upper))
    conditions.append(Member.member_no == q.upper())
    digits = phone_search_key(q)
    if digits and len(digits) == len(q.replace(" ", "").lstrip("+")):
        if len(digits) == 4:
            conditions.append(Member.phone_tail == digits)
        if len(digits) >= 3:
            national = "+86" + digits if not q.startswith("+") else "+" + digits
            conditions.append(col(Member.phone).between(national, national + "9" * 15))
    return or_(*conditions)


def _member_statement(
    session: Session, actor: Actor, query: MemberQuery, *, by_id: bool = False
) -> SelectOfScalar[Member]:
    """The filters and scope. `by_id`: the caller walks the result in id order (keyset
    pages, exports); then a search picks its matches through its own indexes first, instead
    of the planner walking every member of the store in id order to find a few."""
    stmt = select(Member)
    stores = scoped_store_ids(actor, [query.store_id] if query.store_id else None)
    if stores is not None:
        stmt = stmt.where(col(Member.home_store_id).in_(stores or [-1]))
    if query.q.strip() and by_id:
        stmt = stmt.where(col(Member.id).in_(select(Member.id).where(_search_condition(query.q))))
    elif query.q.strip():
        stmt = stmt.where(_search_condition(query.q))
    if query.phone.strip():
        stmt = stmt.where(Member.phone == normalize_phone(query.phone))
    if query.member_no.strip():
        stmt = stmt.where(Member.member_no == query.member_no.strip().upper())
    if query.status:
        if query.status not in {s.value for s in MemberStatus}:
            raise ValidationFailed({"status": "error.choice"})
        stmt = stmt.where(Member.status == MemberStatus(query.status))
    if query.tag.strip():
        # A join (one row per member: the tag is part of the key) lets the planner walk the
        # (tag, member_id) index in id order, or probe it per member, whichever is cheaper;
        # IN (subquery) first looked up every tagged member.
        stmt = stmt.join(
            MemberTag,
            and_(col(MemberTag.member_id) == Member.id, col(MemberTag.tag) == query.tag.strip()),
        )
    if query.custom:
        defs = {f.key: f for f in forms.list_fields(session)}
        for index, (key, value) in enumerate(sorted(query.custom.items())):
            if key not in defs:
                raise ValidationFailed({f"custom.{key}": "error.field_unknown"})
            condition = _custom_condition(session, defs[key], value, index)
            if condition is not None:
                stmt = stmt.where(condition)
    return stmt


def search_members(session: Session, actor: Actor, query: MemberQuery) -> MemberPage:
    """One page of members in scope; never loads more than a page."""
    require(actor, "members.read")
    page_size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    page = max(1, query.page)
    stmt = _member_statement(session, actor, query)
    limit = max(COUNT_LIMIT, (page + COUNT_PAGES_AHEAD) * page_size)
    total = _count_up_to(session, stmt, limit)
    order = SORTS.get(query.sort, SORTS["newest"])
    if query.tag.strip() and query.sort in ("newest", "oldest", ""):
        # The same order, named by the tag's index (joined on it) so the planner walks that
        # index for one page instead of sorting every tagged member.
        key = col(MemberTag.member_id)
        order = (key.asc(),) if query.sort == "oldest" else (key.desc(),)
    members = session.exec(
        stmt.order_by(*order).offset((page - 1) * page_size).limit(page_size)
    ).all()
    ids = [m.id for m in members]
    store_names = dict(
        session.exec(
            select(Store.id, Store.name).where(
                col(Store.id).in_({m.home_store_id for m in members} or {-1})
            )
        ).all()
    )
    tags: dict[int, list[str]] = {}
    for member_id, tag in session.exec(
        select(MemberTag.member_id, MemberTag.tag)
        .where(col(MemberTag.member_id).in_(ids or [-1]))
        .order_by(MemberTag.tag)
    ).all():
        tags.setdefault(member_id, []).append(tag)
    rows = [
        _to_row(actor, m, store_names.get(m.home_store_id, ""), tags.get(m.id or 0, []))
        for m in members
    ]
    return MemberPage(
        rows=rows, total=min(total, limit), page=page, page_size=page_size, more=total > limit
    )


# A list page counts its matches only this far (or a few pages past the one shown): counting
# walks every match, and 300,000 of them (a store, a tag, a custom value) cost 30-50 ms.
COUNT_LIMIT = 1_000
COUNT_PAGES_AHEAD = 10


def _count_up_to(session: Session, stmt: SelectOfScalar[Member], limit: int) -> int:
    """The number of matches, or limit + 1 when there are more than `limit`."""
    ids = stmt.with_only_columns(col(Member.id)).limit(limit + 1).subquery()
    return int(session.exec(select(func.count()).select_from(ids)).one())


def iter_members(
    session: Session, actor: Actor, query: MemberQuery, batch: int = 1000
) -> Iterator[list[tuple[Member, list[str]]]]:
    """All matching members in id order, in batches (for exports): keyset, not offset."""
    require(actor, "members.read")
    base = _member_statement(session, actor, query, by_id=True)
    last_id = 0
    while True:
        members = session.exec(
            base.where(col(Member.id) > last_id).order_by(col(Member.id)).limit(batch)
        ).all()
        if not members:
            return
        ids = [m.id for m in members]
        tags: dict[int, list[str]] = {}
        for member_id, tag in session.exec(
            select(MemberTag.member_id, MemberTag.tag)
            .where(col(MemberTag.member_id).in_(ids))
            .order_by(MemberTag.tag)
        ).all():
            tags.setdefault(member_id, []).append(tag)
        yield [(m, tags.get(m.id or 0, [])) for m in members]
        last_id = members[-1].id or 0


def members_after(
    session: Session, actor: Actor, query: MemberQuery, after_id: int = 0, limit: int = 50
) -> list[MemberRow]:
    """One keyset page of members in id order after `after_id` (the REST API's cursor): the
    same filters and scope as the list page, without counting every match."""
    require(actor, "members.read")
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = _member_statement(session, actor, query, by_id=True).where(col(Member.id) > after_id)
    members = session.exec(stmt.order_by(col(Member.id)).limit(limit)).all()
    ids = [m.id for m in members]
    store_names = dict(
        session.exec(
            select(Store.id, Store.name).where(
                col(Store.id).in_({m.home_store_id for m in members} or {-1})
            )
        ).all()
    )
    tags: dict[int, list[str]] = {}
    for member_id, tag in session.exec(
        select(MemberTag.member_id, MemberTag.tag)
        .where(col(MemberTag.member_id).in_(ids or [-1]))
        .order_by(MemberTag.tag)
    ).all():
        tags.setdefault(member_id, []).append(tag)
    return [
        _to_row(actor, m, store_names.get(m.home_store_id, ""), tags.get(m.id or 0, []))
        for m in members
    ]


_TAG_SEPARATOR = "\x1f"  # tags are single-line text, so the unit separator never occurs


@cache
def _lookup_statement(column: str) -> Any:
    """Member, home store name and tags of the member whose `column` equals :value; built
    once (a statement's construction costs more than the indexed query itself)."""
    tags = (
        select(func.aggregate_strings(col(MemberTag.tag), _TAG_SEPARATOR))
        .where(MemberTag.member_id == Member.id)
        .scalar_subquery()
    )
    return (
        select(Member, Store.name, tags)
        .join(Store, col(Store.id) == Member.home_store_id, isouter=True)
        .where(getattr(Member, column) == bindparam("value"))
    )


def find_member(
    session: Session, actor: Actor, *, phone: str = "", member_no: str = ""
) -> MemberRow | None:
    """The member with exactly this phone (any format) or member number, if in the actor's
    scope; None otherwise, whether it is missing or outside the scope. A till looks members
    up this way many times a minute, so it is one query through a unique index (member,
    store name and tags together) instead of the list's search."""
    require(actor, "members.read")
    if phone:
        column, value = "phone", normalize_phone(phone)
    elif member_no.strip():
        column, value = "member_no", member_no.strip().upper()
    else:
        raise ValidationFailed({"phone": "error.required"})
    found = session.exec(_lookup_statement(column), params={"value": value}).first()
    if found is None or not actor.in_scope(found[0].home_store_id):
        return None
    member, store_name, tag_text = found
    tags = sorted(tag_text.split(_TAG_SEPARATOR)) if tag_text else []
    return _to_row(actor, member, store_name or "", tags)


def count_members(session: Session, actor: Actor, query: MemberQuery) -> int:
    require(actor, "members.read")
    stmt = _member_statement(session, actor, query)
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())


def all_tags(session: Session, actor: Actor, limit: int = 200) -> list[str]:
    """Tags in use within the actor's scope, most used first (for filter pickers)."""
    require(actor, "members.read")
    stmt = select(MemberTag.tag, func.count()).join(Member, col(Member.id) == MemberTag.member_id)
    stmt = restrict(stmt, actor, Member.home_store_id)
    rows = session.exec(
        stmt.group_by(MemberTag.tag).order_by(func.count().desc()).limit(limit)
    ).all()
    return [tag for tag, _count in rows]


@dataclass
class TimelineItem:
    at: datetime
    action: str
    actor_name: str
    changes: dict[str, Any]


def member_timeline(
    session: Session, actor: Actor, member_id: int, limit: int = 100
) -> list[TimelineItem]:
    """Everything that happened to a member, newest first (the audit entries about them)."""
    require(actor, "members.read")
    _load_in_scope(session, actor, member_id)
    rows = session.exec(
        select(AuditEntry)
        .where(AuditEntry.target_type == "member", AuditEntry.target_id == str(member_id))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    ).all()
    pii = actor.can("pii.view")
    items = []
    for row in rows:
        changes = dict(row.changes)
        if not pii and "phone" in changes:
            changes["phone"] = [mask_phone(v) if v else v for v in changes["phone"]]
        items.append(
            TimelineItem(at=row.at, action=row.action, actor_name=row.actor_name, changes=changes)
        )
    return items


__all__ = ["PermissionDenied"]
