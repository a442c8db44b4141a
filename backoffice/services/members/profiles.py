"""Member profiles: create and edit on the designed form, validation, referrers and tags,
all within store scope (lists and lookups are in `search`, status changes in `status`)."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, delete, func, or_, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import FormField, Member, MemberStatus, MemberTag
from backoffice.models.base import utcnow
from backoffice.models.members import Gender
from backoffice.services import events
from backoffice.services.members import forms
from backoffice.services.members.names import normalize_name
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require, restrict
from backoffice.services.org.stores import ensure_store_exists
from backoffice.services.phones import display_phone, normalize_phone
from backoffice.services.reports import daily_stats

# Member.notes' column width; the form's text box lets one character more through, so a
# longer paste gets this field error rather than being cut silently (or, without any
# limit, a form post over the websocket's 1 MB that drops the connection).
NOTES_MAX = 2000


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
    name = normalize_name(data.name)
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
    if len(data.notes) > NOTES_MAX:
        errors["notes"] = "error.notes_too_long"
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


def load_in_scope(
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
    member = load_in_scope(session, actor, member_id, for_update=True)
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


def get_member_for_edit(session: Session, actor: Actor, member_id: int) -> MemberInput:
    """Unmasked values for the edit form: only for staff allowed to edit this member."""
    require(actor, "members.write")
    member = load_in_scope(session, actor, member_id)
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


def all_tags(session: Session, actor: Actor, limit: int = 200) -> list[str]:
    """Tags in use within the actor's scope, most used first (for filter pickers)."""
    require(actor, "members.read")
    stmt = select(MemberTag.tag, func.count()).join(Member, col(Member.id) == MemberTag.member_id)
    stmt = restrict(stmt, actor, Member.home_store_id)
    rows = session.exec(
        stmt.group_by(MemberTag.tag).order_by(func.count().desc()).limit(limit)
    ).all()
    return [tag for tag, _count in rows]
