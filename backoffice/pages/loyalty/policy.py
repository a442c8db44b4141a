"""/settings/loyalty: tiers, earn rules, policy, catalog, top-up bonuses, coupon templates.

One generic editor: each section names its service functions, its pydantic input and the
fields of its form; the services validate, check `loyalty.manage` and audit.
"""

from __future__ import annotations

from typing import Any

import pydantic
import reflex as rx

from backoffice.components.fields import labelled
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_money
from backoffice.pages.layout import shell
from backoffice.pages.loyalty.settings_sections import (
    SECTIONS,
    Field,
    Section,
    _cell,
    _form_values,
    input_text,
)
from backoffice.pages.loyalty.settings_sentences import rule_sentence
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.loyalty import wallet
from backoffice.services.loyalty.policy import current_settings


class LoyaltySettingsState(SessionState):
    section: str = "tiers"
    rows: list[dict[str, str]] = []
    can_manage: bool = False
    liability: str = ""
    editing: bool = False
    editing_id: int = 0
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_key: int = 0
    # The rule being edited, said in words; follows every keystroke.
    sentence: str = ""
    expiry_months: int = 12

    def _load(self) -> Any:
        section = SECTIONS.get(self.section, SECTIONS["tiers"])
        try:
            with session_scope() as session:
                actor = self._actor(session)
                items = section.rows(session, actor)
                self.can_manage = actor.can("loyalty.manage")
                owed = wallet.wallet_liability(session, actor)
                self.expiry_months = current_settings(session).points_expiry_months
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        fields = {f.name: f for f in section.fields}
        self.rows = []
        for item in items:
            row = {"id": str(getattr(item, "id", 0) or 0)}
            raw_metric = getattr(item, "metric", "")
            metric = str(getattr(raw_metric, "value", raw_metric))
            for name in {*section.columns, *fields}:
                value = getattr(item, name, "")
                field = fields.get(name)
                row[name] = _cell(value, field, self._tr, self.lang, metric)
                row["raw_" + name] = input_text(field, value, metric) if field else str(value)
            typed = {f: row["raw_" + f] for f in fields}
            row["sentence"] = rule_sentence(
                section.key, typed, self._tr, self.lang, self.expiry_months
            )
            self.rows.append(row)
        self.liability = self._tr(
            "settings.liability",
            principal=format_money(owed.principal, self.lang),
            bonus=format_money(owed.bonus, self.lang),
            members=owed.members,
        )
        return None

    @rx.event
    def open_page(self) -> Any:
        self.editing = False
        return self._load()

    @rx.event
    def show_section(self, key: str) -> Any:
        self.section = key if key in SECTIONS else "tiers"
        self.editing = False
        return self._load()

    @rx.event
    def start_edit(self, row_id: str) -> None:
        section = SECTIONS[self.section]
        row = next((r for r in self.rows if r["id"] == row_id), None)
        self.editing_id = int(row_id) if row and row_id.isdigit() else 0
        self.values = (
            {f.name: row.get("raw_" + f.name, "") for f in section.fields}
            if row
            else {f.name: "" for f in section.fields}
        )
        self.errors = {}
        self.editing = True
        self.form_key += 1
        self._say()

    @rx.event
    def start_new(self) -> None:
        section = SECTIONS[self.section]
        defaults = section.model()
        self.editing_id = 0
        raw_metric = getattr(defaults, "metric", "")
        metric = str(getattr(raw_metric, "value", raw_metric))
        self.values = {
            f.name: input_text(f, getattr(defaults, f.name), metric) for f in section.fields
        }
        self.errors = {}
        self.editing = True
        self.form_key += 1
        self._say()

    def _say(self) -> None:
        self.sentence = rule_sentence(
            self.section, self.values, self._tr, self.lang, self.expiry_months
        )

    @rx.event
    def type_value(self, name: str, value: str | bool) -> None:
        """Display only: the sentence follows the form; `save` reads the submitted form."""
        if name in {f.name for f in SECTIONS[self.section].fields}:
            self.values = {**self.values, name: str(value)}
            self._say()

    @rx.event
    def cancel(self) -> None:
        self.editing = False

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        section = SECTIONS[self.section]
        self.errors = {}
        try:
            data = section.model(**_form_values(section, form))
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except pydantic.ValidationError as exc:
            self.errors = {str(e["loc"][0]): self._tr("error.number") for e in exc.errors()}
            return None
        try:
            with session_scope() as session:
                actor = self._actor(session)
                if self.editing_id or section.create is None:
                    section.update(session, actor, self.editing_id, data)
                else:
                    section.create(session, actor, data)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.editing = False
        self._load()
        return rx.toast.success(self._tr("common.saved"))


def _input(field: Field) -> rx.Component:
    value = LoyaltySettingsState.values.get(field.name, "")
    if field.kind == "bool":
        return rx.checkbox(
            name=field.name,
            default_checked=value == "True",
            id="setting-" + field.name,
            on_change=lambda v: LoyaltySettingsState.type_value(field.name, v),
        )
    if field.kind == "choice":
        return rx.select.root(
            rx.select.trigger(width="100%", id="setting-" + field.name),
            rx.select.content(
                *[rx.select.item(tr(field.option_prefix + o), value=o) for o in field.options]
            ),
            name=field.name,
            default_value=value,
            on_change=lambda v: LoyaltySettingsState.type_value(field.name, v),
        )
    if field.kind == "textarea":
        return rx.text_area(name=field.name, default_value=value, id="setting-" + field.name)
    return rx.input(
        name=field.name,
        default_value=value,
        id="setting-" + field.name,
        on_change=lambda v: LoyaltySettingsState.type_value(field.name, v),
        input_mode={"int": "numeric", "yuan": "decimal", "percent": "decimal"}.get(
            field.kind, "text"
        ),
    )


def _editor(section: Section) -> rx.Component:
    return rx.cond(
        (LoyaltySettingsState.section == section.key) & LoyaltySettingsState.editing,
        rx.card(
            rx.form(
                rx.vstack(
                    rx.grid(
                        *[
                            labelled(
                                tr("field." + f.name),
                                _input(f),
                                LoyaltySettingsState.errors.get(f.name, ""),
                            )
                            for f in section.fields
                        ],
                        columns="3",
                        spacing="3",
                        width="100%",
                    ),
                    rx.callout(
                        LoyaltySettingsState.sentence,
                        icon="message-square-text",
                        id="setting-sentence",
                    ),
                    rx.hstack(
                        rx.button(tr("common.save"), type="submit", id="setting-save"),
                        rx.button(
                            tr("common.cancel"),
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=LoyaltySettingsState.cancel,
                        ),
                        spacing="2",
                    ),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=LoyaltySettingsState.save,
                reset_on_submit=False,
                key=LoyaltySettingsState.form_key,
            )
        ),
    )


def _edit(row: rx.Var) -> rx.Component:
    return rx.cond(
        LoyaltySettingsState.can_manage,
        rx.button(
            tr("common.edit"),
            size="1",
            variant="soft",
            on_click=LoyaltySettingsState.start_edit(row["id"]),
        ),
    )


def _table(section: Section) -> rx.Component:
    return rx.cond(
        LoyaltySettingsState.section == section.key,
        data_table(
            [
                *[Column(tr("field." + c), c) for c in section.columns],
                Column(tr("settings.sentence"), "sentence"),
                Column("", cell=_edit),
            ],
            LoyaltySettingsState.rows,
            table_id=f"settings-{section.key}",
            row_class="setting-row",
        ),
    )


@rx.page(
    route="/settings/loyalty",
    title="Loyalty settings · Back-office",
    on_load=[SessionState.require_sign_in, LoyaltySettingsState.open_page],
)
def loyalty_settings_page() -> rx.Component:
    return shell(
        tr("settings.title"),
        rx.tabs.root(
            rx.tabs.list(
                *[
                    rx.tabs.trigger(tr(s.title), value=s.key, id=f"tab-{s.key}")
                    for s in SECTIONS.values()
                ]
            ),
            value=LoyaltySettingsState.section,
            on_change=LoyaltySettingsState.show_section,
        ),
        rx.cond(
            ~LoyaltySettingsState.can_manage,
            rx.callout(tr("settings.read_only"), icon="lock", color_scheme="gray"),
        ),
        rx.cond(
            LoyaltySettingsState.section == "policy",
            rx.text(LoyaltySettingsState.liability, size="2", id="wallet-liability"),
        ),
        rx.cond(
            LoyaltySettingsState.can_manage
            & (LoyaltySettingsState.section != "policy")
            & ~LoyaltySettingsState.editing,
            rx.button(
                rx.icon("plus", size=14),
                tr("settings.add"),
                on_click=LoyaltySettingsState.start_new,
                id="setting-add",
            ),
        ),
        *[_editor(s) for s in SECTIONS.values()],
        *[_table(s) for s in SECTIONS.values()],
    )
