"""/m/me: the member's own profile fields, marketing consent, a deletion request and sign-out."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import custom_field, custom_field_row, read_custom_value
from backoffice.db import session_scope
from backoffice.errors import DomainError, ValidationFailed
from backoffice.i18n import format_when
from backoffice.pages.portal.home import bottom_nav
from backoffice.pages.portal.sign_in import (
    MemberSessionState,
    MemberSignedOut,
    brand,
    mtr,
    phone_frame,
)
from backoffice.services.portal import self_service as member_self


class MemberMeState(MemberSessionState):
    fields: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    consents: dict[str, bool] = {}
    deletion_pending: str = ""
    form_version: int = 0

    def _load(self) -> Any:
        try:
            with session_scope() as session:
                me = self._me(session)
                defs = member_self.editable_fields(session)
                values = member_self.profile_values(session, me)
                consents = member_self.marketing_consents(session, me)
                pending = member_self.pending_deletion(session, me)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self.fields = [
            custom_field_row(
                f.key, f.label, f.type.value, f.options, f.help_text, values.get(f.key)
            )
            for f in defs
        ]
        self.consents = consents
        self.deletion_pending = (
            self._tr("portal.delete_pending", when=format_when(pending.requested_at, self.lang))
            if pending
            else ""
        )
        self.form_version += 1
        return None

    @rx.event
    def open_me(self) -> Any:
        self.errors = {}
        return self._load()

    @rx.event
    def save_profile(self, form: dict[str, Any]) -> Any:
        values: dict[str, Any] = {}
        # Only the fields the server listed as editable are read from the form; the service
        # checks the list again, so a forged field name is refused there too.
        with session_scope() as session:
            defs = member_self.editable_fields(session)
        for f in defs:
            value = read_custom_value(form, f.key, f.type.value, list(f.options))
            values[f.key] = value[:500] if isinstance(value, str) else value
        self.errors = {}
        try:
            self._run(member_self.update_profile, values)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("portal.saved"))

    @rx.event
    def set_consent(self, channel: str, granted: bool) -> Any:
        try:
            self._run(member_self.set_marketing_consent, str(channel), granted is True)
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        return self._load()

    @rx.event
    def request_deletion(self, form: dict[str, Any]) -> Any:
        try:
            self._run(member_self.request_deletion, str(form.get("reason", ""))[:300])
        except (MemberSignedOut, DomainError) as exc:
            return self._fail(exc)
        self._load()
        return rx.toast.success(self._tr("portal.delete_sent"))


def _consent_row(channel: str) -> rx.Component:
    S = MemberMeState
    return rx.hstack(
        rx.text(mtr(f"portal.channel.{channel}"), size="2"),
        rx.spacer(),
        rx.switch(
            checked=S.consents.get(channel, True).to(bool),
            on_change=lambda v: S.set_consent(channel, v),
            id=f"m-consent-{channel}",
        ),
        width="100%",
        align="center",
    )


def _profile_card() -> rx.Component:
    S = MemberMeState
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(mtr("portal.profile"), size="4"),
                rx.cond(
                    S.fields.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            S.fields,
                            lambda f: custom_field(
                                f,
                                S.errors,
                                id_prefix="m-f-",
                                choose_label=mtr("portal.choose"),
                                size="3",
                            ),
                        ),
                        rx.button(mtr("portal.save"), type="submit", id="m-save-profile"),
                        spacing="3",
                        align="stretch",
                    ),
                    rx.text(mtr("portal.profile_none"), size="2", color_scheme="gray"),
                ),
                spacing="3",
                align="stretch",
            ),
            on_submit=S.save_profile,
            reset_on_submit=False,
            key=S.form_version,
        ),
    )


def _marketing_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(mtr("portal.marketing"), size="4"),
            _consent_row("sms"),
            _consent_row("email"),
            rx.text(mtr("portal.marketing_help"), size="1", color_scheme="gray"),
            spacing="2",
        )
    )


def _delete_card() -> rx.Component:
    S = MemberMeState
    return rx.card(
        rx.vstack(
            rx.heading(mtr("portal.delete_account"), size="4"),
            rx.text(mtr("portal.delete_help"), size="1", color_scheme="gray"),
            rx.cond(
                S.deletion_pending != "",
                rx.callout(S.deletion_pending, icon="clock", id="m-deletion-pending"),
                rx.form(
                    rx.vstack(
                        rx.input(
                            name="reason",
                            placeholder=mtr("portal.delete_reason"),
                            max_length=300,
                        ),
                        rx.button(
                            mtr("portal.delete_submit"),
                            type="submit",
                            color_scheme="red",
                            variant="soft",
                            id="m-delete",
                        ),
                        spacing="2",
                        align="stretch",
                    ),
                    on_submit=S.request_deletion,
                ),
            ),
            spacing="2",
            align="stretch",
        )
    )


@rx.page(
    route="/m/me",
    title="我的 · 会员中心",
    on_load=[MemberSessionState.require_member, MemberMeState.open_me],
)
def member_me_page() -> rx.Component:
    return phone_frame(
        brand(),
        _profile_card(),
        _marketing_card(),
        _delete_card(),
        rx.button(
            mtr("portal.sign_out"),
            on_click=MemberSessionState.sign_out,
            variant="outline",
            id="m-sign-out",
        ),
        bottom_nav("me"),
    )
