"""Finding members: the list's search and filters, keyset pages for exports and the API, the
till's exact lookup, one member as a page shows it (masked without pii.view); all in scope."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import SelectOfScalar

from backoffice.errors import ValidationFailed
from backoffice.models import FieldType, FormField, Member, MemberStatus, MemberTag, Store
from backoffice.services.members import forms
from backoffice.services.members.custom_field_index import custom_contains, custom_equals
from backoffice.services.members.profiles import load_in_scope, member_tags
from backoffice.services.org.access import Actor, require, scoped_store_ids
from backoffice.services.phones import display_phone, mask_phone, normalize_phone, phone_search_key

MAX_PAGE_SIZE = 200
SORTS = {
    "newest": (col(Member.id).desc(),),
    "oldest": (col(Member.id).asc(),),
    "name": (col(Member.name).asc(), col(Member.id).asc()),
    "joined": (col(Member.joined_at).desc(), col(Member.id).desc()),
}


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
    member = load_in_scope(session, actor, member_id)
    store = session.get(Store, member.home_store_id)
    return _to_row(actor, member, store.name if store else "", member_tags(session, member_id))


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


def _tags_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """Each member's tags, alphabetical, in one query."""
    tags: dict[int, list[str]] = {}
    for member_id, tag in session.exec(
        select(MemberTag.member_id, MemberTag.tag)
        .where(col(MemberTag.member_id).in_(ids or [-1]))
        .order_by(MemberTag.tag)
    ).all():
        tags.setdefault(member_id, []).append(tag)
    return tags


def _rows(session: Session, actor: Actor, members: Sequence[Member]) -> list[MemberRow]:
    """Members as rows, with their store names and tags in two queries for the lot."""
    store_names = dict(
        session.exec(
            select(Store.id, Store.name).where(
                col(Store.id).in_({m.home_store_id for m in members} or {-1})
            )
        ).all()
    )
    tags = _tags_of(session, [m.id or 0 for m in members])
    return [
        _to_row(actor, m, store_names.get(m.home_store_id, ""), tags.get(m.id or 0, []))
        for m in members
    ]


def search_members(session: Session, actor: Actor, query: MemberQuery) -> MemberPage:
    """One page of members in scope; never loads more than a page."""
    require(actor, "members.read")
    page_size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    page = max(1, query.page)
    stmt = _member_statement(session, actor, query)
    limit = max(COUNT_LIMIT, (page + COUNT_PAGES_AHEAD) * page_size)
    total = _count_up_to(session, stmt, limit)
    order: tuple[Any, ...] = SORTS.get(query.sort, SORTS["newest"])
    if query.tag.strip() and query.sort in ("newest", "oldest", ""):
        # The same order, named by the tag's index (joined on it) so the planner walks that
        # index for one page instead of sorting every tagged member.
        key = col(MemberTag.member_id)
        order = (key.asc(),) if query.sort == "oldest" else (key.desc(),)
    members = session.exec(
        stmt.order_by(*order).offset((page - 1) * page_size).limit(page_size)
    ).all()
    rows = _rows(session, actor, members)
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
        tags = _tags_of(session, [m.id or 0 for m in members])
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
    return _rows(session, actor, members)


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
