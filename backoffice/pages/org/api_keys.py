"""API keys (/settings/api-keys): create (the token is shown once), list, revoke."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.dialogs import form_dialog
from backoffice.components.tables import Column, data_table
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_when
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org.api_keys import (
    API_PERMISSIONS,
    ApiKeyInput,
    create_api_key,
    list_api_keys,
    revoke_api_key,
)
from backoffice.services.org.stores import visible_stores


class ApiKeysState(SessionState):
    rows: list[dict[str, Any]] = []
    perm_options: list[dict[str, str]] = []
    store_options: list[dict[str, str]] = []
    dialog_open: bool = False
    errors: dict[str, str] = {}
    form_version: int = 0
    new_token: str = ""  # the key just created, shown once to the person who made it

    def _reload(self) -> Any:
        try:
            with session_scope() as session:
                actor = self._actor(session)
                keys = list_api_keys(session, actor)
                stores = visible_stores(session, actor) if actor.can("stores.read") else []
        except (SignedOut, DomainError) as exc:
            self.rows = []
            return self._fail(exc)
        self.perm_options = [
            {"value": p, "label": self._tr(f"perm.{p}")} for p in API_PERMISSIONS if actor.can(p)
        ]
        names = {s.id: s.code for s in stores}
        self.store_options = [{"value": str(s.id), "label": f"{s.code} {s.name}"} for s in stores]
        self.rows = [
            {
                "id": k.id or 0,
                "name": k.name,
                "prefix": k.prefix,
                "permissions": ", ".join(k.permissions),
                "stores": self._tr("api_keys.all_stores")
                if k.store_ids is None
                else ", ".join(names.get(s, str(s)) for s in k.store_ids),
                "created": format_when(k.created_at, self.lang),
                "last_used": format_when(k.last_used_at, self.lang),
                "revoked": k.revoked_at is not None,
            }
            for k in keys
        ]
        return None

    @rx.event
    def open_page(self) -> Any:
        self.dialog_open = False
        self.new_token = ""
        return self._reload()

    @rx.event
    def open_new(self) -> None:
        self.errors = {}
        self.form_version += 1
        self.dialog_open = True

    @rx.event
    def close_dialog(self) -> None:
        self.dialog_open = False
        self.errors = {}

    @rx.event
    def dialog_open_change(self, is_open: bool) -> None:
        if not is_open:
            self.close_dialog()

    @rx.event
    def dismiss_token(self) -> None:
        self.new_token = ""

    @rx.event
    def save(self, form: dict[str, Any]) -> Any:
        permissions = [
            k.removeprefix("perm:") for k, v in form.items() if k.startswith("perm:") and v
        ]
        store_ids: list[int] | None = []
        for key, value in form.items():
            if key.startswith("store:") and value and key[6:].isdigit():
                store_ids.append(int(key[6:]))  # type: ignore[union-attr]
        if form.get("all_stores") in (True, "on", "true"):
            store_ids = None
        try:
            rate = int(str(form.get("rate_per_minute") or 0))
        except ValueError:
            self.errors = {"rate_per_minute": self._tr("error.number")}
            return None
        data = ApiKeyInput(
            name=str(form.get("name", ""))[:200],
            permissions=permissions[:50],
            store_ids=store_ids,
            rate_per_minute=rate,
        )
        self.errors = {}
        try:
            made = self._call(create_api_key, data)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return rx.toast.error(self._tr("common.fix_errors"))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.dialog_open = False
        self.new_token = made.token
        return self._reload()

    @rx.event
    def revoke(self, key_id: int) -> Any:
        try:
            self._call(revoke_api_key, int(key_id))
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        except (TypeError, ValueError):
            return None
        self._reload()
        return rx.toast.success(self._tr("api_keys.revoked_toast"))


S = ApiKeysState


def _status(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["revoked"].to(bool),
        rx.badge(tr("api_keys.revoked"), color_scheme="gray", variant="soft"),
        rx.button(
            tr("api_keys.revoke"),
            color_scheme="red",
            variant="soft",
            size="1",
            on_click=S.revoke(row["id"].to(int)),
            id="revoke-" + row["prefix"].to(str),
        ),
    )


def key_table() -> rx.Component:
    return data_table(
        [
            Column(tr("api_keys.name"), cell=lambda r: rx.text(r["name"], weight="medium")),
            Column(tr("api_keys.prefix"), cell=lambda r: rx.code(r["prefix"], variant="ghost")),
            Column(tr("api_keys.permissions"), cell=lambda r: rx.text(r["permissions"], size="1")),
            Column(tr("api_keys.stores"), "stores"),
            Column(tr("api_keys.created"), "created"),
            Column(tr("api_keys.last_used"), "last_used"),
            Column(tr("api_keys.status"), cell=_status),
        ],
        S.rows,
        table_id="api-key-table",
        row_class="api-key-row",
        empty=tr("common.none"),
    )


def _check(name: str, label: Any, element_id: Any) -> rx.Component:
    return rx.text(
        rx.hstack(rx.checkbox(name=name, id=element_id), label, spacing="2", align="center"),
        as_="label",
        size="2",
    )


def _error(name: str) -> rx.Component:
    return rx.cond(S.errors.contains(name), rx.text(S.errors[name], color="red", size="1"))


def key_dialog() -> rx.Component:
    return form_dialog(
        tr("api_keys.new"),
        rx.text(tr("api_keys.name"), size="2", weight="medium"),
        rx.input(name="name", id="api-key-name", max_length=100),
        _error("name"),
        rx.text(tr("api_keys.permissions"), size="2", weight="medium"),
        rx.grid(
            rx.foreach(
                S.perm_options,
                lambda p: _check("perm:" + p["value"], p["label"], "perm-" + p["value"]),
            ),
            columns="2",
            spacing="2",
        ),
        _error("permissions"),
        rx.text(tr("api_keys.stores"), size="2", weight="medium"),
        rx.cond(
            S.perms.contains("staff.manage"),
            _check("all_stores", tr("api_keys.all_stores"), "api-key-all-stores"),
        ),
        rx.grid(
            rx.foreach(
                S.store_options,
                lambda s: _check("store:" + s["value"], s["label"], "store-" + s["value"]),
            ),
            columns="2",
            spacing="2",
        ),
        _error("store_ids"),
        rx.text(tr("api_keys.rate"), size="2", weight="medium"),
        rx.input(name="rate_per_minute", id="api-key-rate", type="number", default_value="0"),
        _error("rate_per_minute"),
        on_submit=S.save,
        save_label=tr("common.save"),
        cancel_label=tr("common.cancel"),
        on_cancel=S.close_dialog,
        save_id="api-key-save",
        form_id="api-key-form",
        form_key=S.form_version,
        open=S.dialog_open,
        on_open_change=S.dialog_open_change,
    )


def token_callout() -> rx.Component:
    return rx.cond(
        S.new_token != "",
        rx.callout.root(
            rx.callout.text(tr("api_keys.shown_once")),
            rx.code(S.new_token, id="api-key-token", size="3"),
            rx.button(tr("api_keys.done"), on_click=S.dismiss_token, size="1", variant="soft"),
            color_scheme="amber",
            id="api-key-created",
        ),
    )


@rx.page(
    route="/settings/api-keys",
    title="API keys · Back-office",
    on_load=[SessionState.require_sign_in, ApiKeysState.open_page],
)
def api_keys_page() -> rx.Component:
    actions = rx.hstack(
        rx.link(tr("api_keys.docs"), href="/api/v1/docs", is_external=True),
        rx.button(
            rx.icon("plus", size=16), tr("api_keys.new"), on_click=S.open_new, id="new-api-key"
        ),
        align="center",
        spacing="3",
    )
    return shell(
        tr("api_keys.title"),
        rx.text(tr("api_keys.help"), color_scheme="gray", size="2"),
        token_callout(),
        key_table(),
        key_dialog(),
        actions=actions,
    )
