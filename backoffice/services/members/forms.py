"""The member form designer: custom fields HQ adds without a code change or restart."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import FormField
from backoffice.models.forms import FieldType as FieldType  # re-exported: pages name the types
from backoffice.services.members.custom_field_index import ensure_custom_field_index
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, require

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TRUE = {"1", "true", "yes", "y", "on", "是", "t"}
_FALSE = {"0", "false", "no", "n", "off", "否", "f", ""}


class FieldInput(BaseModel):
    key: str = ""
    label: str = ""
    type: str = FieldType.TEXT.value
    options: list[str] = []
    required: bool = False
    hidden: bool = False
    help_text: str = ""
    member_editable: bool = False


def list_fields(session: Session, include_hidden: bool = False) -> list[FormField]:
    """Fields in form order. Any signed-in staff may read the form's shape."""
    stmt = select(FormField)
    if not include_hidden:
        stmt = stmt.where(FormField.hidden == False)  # noqa: E712
    return list(session.exec(stmt.order_by(col(FormField.position), col(FormField.id))).all())


def design_fields(session: Session, actor: Actor) -> list[FormField]:
    """Every field, hidden ones too, in form order: what the form designer shows."""
    require(actor, "forms.manage")
    return list_fields(session, include_hidden=True)


def _validate(data: FieldInput, creating: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if creating and not _KEY.match(data.key.strip()):
        errors["key"] = "error.field_key"
    if not data.label.strip():
        errors["label"] = "error.required"
    if data.type not in {t.value for t in FieldType}:
        errors["type"] = "error.field_type"
    options = [o.strip() for o in data.options if o.strip()]
    if data.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        if not options:
            errors["options"] = "error.options_required"
        elif len(set(options)) != len(options):
            errors["options"] = "error.options_duplicate"
    else:
        options = []
    if errors:
        raise ValidationFailed(errors)
    values: dict[str, Any] = {
        "label": data.label.strip(),
        "type": FieldType(data.type),
        "options": options,
        "required": data.required,
        "hidden": data.hidden,
        "help_text": data.help_text.strip(),
        "member_editable": data.member_editable,
    }
    if creating:
        values["key"] = data.key.strip()
    return values


def add_field(session: Session, actor: Actor, data: FieldInput) -> FormField:
    require(actor, "forms.manage")
    values = _validate(data, creating=True)
    if session.exec(select(FormField).where(FormField.key == values["key"])).first():
        raise ValidationFailed({"key": "error.field_key_taken"})
    last = session.exec(select(func.max(FormField.position))).one()
    field = FormField(**values, position=(last or 0) + 1)
    session.add(field)
    session.flush()
    ensure_custom_field_index(session, field.key, field.type)
    audit.record(
        session,
        actor,
        "forms.add_field",
        target_type="form_field",
        target_id=field.key,
        changes=audit.diff({}, values),
    )
    return field


def update_field(session: Session, actor: Actor, field_id: int, data: FieldInput) -> FormField:
    """Change a field; its key and type's stored values stay, so old answers are kept."""
    require(actor, "forms.manage")
    field = session.get(FormField, field_id)
    if field is None:
        raise NotFound("error.not_found")
    values = _validate(data, creating=False)
    if values["type"] != field.type:
        raise ValidationFailed({"type": "error.field_type_locked"})
    before = field.model_dump()
    for key, value in values.items():
        setattr(field, key, value)
    session.add(field)
    changes = audit.diff({k: before[k] for k in values}, values)
    if changes:
        audit.record(
            session,
            actor,
            "forms.update_field",
            target_type="form_field",
            target_id=field.key,
            changes=changes,
        )
    return field


def set_field_hidden(session: Session, actor: Actor, field_id: int, hidden: bool) -> FormField:
    """Hide a field from the form and filters (stored answers stay), or show it again."""
    require(actor, "forms.manage")
    field = session.get(FormField, field_id)
    if field is None:
        raise NotFound("error.not_found")
    if field.hidden != hidden:
        audit.record(
            session,
            actor,
            "forms.update_field",
            target_type="form_field",
            target_id=field.key,
            changes={"hidden": [field.hidden, hidden]},
        )
        field.hidden = hidden
        session.add(field)
    return field


def move_field(session: Session, actor: Actor, field_id: int, direction: int) -> None:
    """Swap a field with its neighbour above (-1) or below (+1)."""
    require(actor, "forms.manage")
    fields = list_fields(session, include_hidden=True)
    index = next((i for i, f in enumerate(fields) if f.id == field_id), None)
    if index is None:
        raise NotFound("error.not_found")
    other = index + (1 if direction > 0 else -1)
    if not 0 <= other < len(fields):
        return
    fields[index], fields[other] = fields[other], fields[index]
    for position, field in enumerate(fields, start=1):
        field.position = position
        session.add(field)
    audit.record(
        session,
        actor,
        "forms.reorder",
        target_type="form_field",
        target_id=fields[other].key,
        changes={"order": [[f.key for f in fields]]},
    )


def coerce_value(field: FormField, raw: Any) -> Any:
    """Turn a form/CSV/API value into the stored shape, or raise a field error."""
    name = f"custom.{field.key}"
    if raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []:
        if field.required and field.type != FieldType.BOOLEAN:
            raise ValidationFailed({name: "error.required"})
        return False if field.type == FieldType.BOOLEAN else None
    if field.type == FieldType.TEXT:
        text = str(raw).strip()
        if len(text) > 500:
            raise ValidationFailed({name: "error.too_long"})
        return text
    if field.type == FieldType.NUMBER:
        try:
            number = float(str(raw).strip())
        except ValueError as exc:
            raise ValidationFailed({name: "error.number"}) from exc
        if not math.isfinite(number):  # "nan" / "inf" parse, but JSON cannot store them
            raise ValidationFailed({name: "error.number"})
        return int(number) if number.is_integer() else number
    if field.type == FieldType.DATE:
        try:
            return date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError as exc:
            raise ValidationFailed({name: "error.date"}) from exc
    if field.type == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationFailed({name: "error.boolean"})
    if field.type == FieldType.CHOICE:
        text = str(raw).strip()
        if text not in field.options:
            raise ValidationFailed({name: "error.choice"})
        return text
    # multi choice: a list, or a string separated by | ; or ,
    items = raw if isinstance(raw, list) else re.split(r"[|;,，]", str(raw))
    chosen = [str(i).strip() for i in items if str(i).strip()]
    if any(c not in field.options for c in chosen):
        raise ValidationFailed({name: "error.choice"})
    if field.required and not chosen:
        raise ValidationFailed({name: "error.required"})
    return [o for o in field.options if o in chosen]


def clean_custom_values(
    fields: list[FormField], raw: dict[str, Any], existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate every visible field; hidden fields keep their stored value untouched."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = dict(existing or {})
    for field in fields:
        if field.hidden:
            continue
        try:
            value = coerce_value(field, raw.get(field.key))
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if value is None:
            cleaned.pop(field.key, None)
        else:
            cleaned[field.key] = value
    if errors:
        raise ValidationFailed(errors)
    return cleaned
