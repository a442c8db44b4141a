"""My account: interface language and changing one's own password."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import labelled
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.org import two_factor
from backoffice.services.org.auth import change_own_password
from backoffice.services.portal.self_service import qr_data_uri


class AccountState(SessionState):
    errors: dict[str, str] = {}
    form_version: int = 0
    twofa_enabled: bool = False
    twofa_required: bool = False
    recovery_left: str = ""
    enrol_secret: str = ""
    enrol_qr: str = ""
    recovery_codes: list[str] = []
    twofa_error: str = ""
    _pending_secret: str = ""  # server-side only until a code confirms it

    def _load_two_factor(self) -> Any:
        try:
            state = self._call(two_factor.status)
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.twofa_enabled = state.enabled
        self.twofa_required = state.required
        self.recovery_left = self._tr("twofa.recovery_left", count=state.recovery_left)
        return None

    @rx.event
    def open_page(self) -> Any:
        self.errors = {}
        self.form_version += 1
        self.enrol_secret, self.enrol_qr, self.recovery_codes, self.twofa_error = "", "", [], ""
        return self._load_two_factor()

    @rx.event
    def start_two_factor(self) -> Any:
        """A new secret to scan; nothing changes at sign-in until a code confirms it."""
        self.twofa_error = ""
        try:
            enrolment = self._call(two_factor.start_enrolment)
        except ValidationFailed as exc:
            self.twofa_error = next(iter(self._field_errors(exc).values()))
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._pending_secret = enrolment.secret
        self.enrol_secret = enrolment.secret
        self.enrol_qr = qr_data_uri(enrolment.uri)
        return None

    @rx.event
    def confirm_two_factor(self, form: dict[str, Any]) -> Any:
        self.twofa_error = ""
        try:
            codes = self._call(
                two_factor.confirm_enrolment, self._pending_secret, str(form.get("code", ""))[:40]
            )
        except ValidationFailed as exc:
            self.twofa_error = next(iter(self._field_errors(exc).values()))
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self._pending_secret, self.enrol_secret, self.enrol_qr = "", "", ""
        self.recovery_codes = codes
        self._load_two_factor()
        return rx.toast.success(self._tr("twofa.enabled"))

    @rx.event
    def disable_two_factor(self, form: dict[str, Any]) -> Any:
        self.twofa_error = ""
        try:
            self._call(two_factor.disable, str(form.get("code", ""))[:40])
        except ValidationFailed as exc:
            self.twofa_error = next(iter(self._field_errors(exc).values()))
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        self.recovery_codes = []
        self._load_two_factor()
        return rx.toast.success(self._tr("twofa.disabled"))

    @rx.event
    def dismiss_codes(self) -> None:
        self.recovery_codes = []

    @rx.event
    def change_password(self, form: dict[str, Any]) -> Any:
        current = str(form.get("current_password", ""))[:200]
        new = str(form.get("new_password", ""))[:200]
        if new != str(form.get("confirm_password", ""))[:200]:
            self.errors = {"confirm_password": self._tr("error.password_mismatch")}
            return None
        self.errors = {}
        try:
            # This browser's session stays; the person's other sessions are signed out.
            self._call(change_own_password, current, new, self._token())
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        except (SignedOut, DomainError) as exc:
            return self._fail(exc)
        forced = self.must_change_password
        self.must_change_password = False
        self.form_version += 1  # empty the password inputs
        done = rx.toast.success(self._tr("account.password_changed"))
        return [done, rx.redirect("/members")] if forced else done


S = AccountState


def _password(name: str, label_key: str, autocomplete: str, hint: Any = "") -> rx.Component:
    return labelled(
        tr(label_key),
        rx.input(
            name=name,
            id=name.replace("_", "-"),
            type="password",
            auto_complete=autocomplete,
            required=True,
        ),
        S.errors.get(name, ""),
        hint=hint,
        required=True,
    )


def profile_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("account.profile"), size="3"),
            rx.hstack(
                rx.text(S.me_name, size="3", weight="medium", id="account-name"),
                rx.badge(S.role_label, variant="soft"),
                spacing="2",
                align="center",
            ),
            labelled(
                tr("account.language"),
                rx.select.root(
                    rx.select.trigger(width="200px", id="account-language"),
                    rx.select.content(
                        rx.select.item("中文", value="zh-CN"),
                        rx.select.item("English", value="en"),
                    ),
                    value=S.lang,
                    on_change=SessionState.set_language,
                ),
                hint=tr("account.language_hint"),
            ),
            spacing="3",
            align="stretch",
        ),
        max_width="520px",
    )


def password_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("account.change_password"), size="3"),
                _password("current_password", "account.current_password", "current-password"),
                _password(
                    "new_password",
                    "account.new_password",
                    "new-password",
                    hint=tr("account.password_rules"),
                ),
                _password("confirm_password", "account.confirm_password", "new-password"),
                rx.hstack(
                    rx.button(tr("account.change_password"), type="submit", id="change-password"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                align="stretch",
            ),
            on_submit=S.change_password,
            reset_on_submit=False,
            key=S.form_version,
            id="password-form",
        ),
        max_width="520px",
    )


def _code_form(on_submit: Any, button_key: str, button_id: str, **props: Any) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="code",
                placeholder=tr("twofa.code"),
                auto_complete="one-time-code",
                id=button_id + "-code",
                required=True,
            ),
            rx.button(tr(button_key), type="submit", id=button_id, **props),
            spacing="2",
        ),
        on_submit=on_submit,
        reset_on_submit=True,
    )


def _recovery_codes() -> rx.Component:
    """The new recovery codes, shown once after enrolment until dismissed."""
    return rx.cond(
        S.recovery_codes.length() > 0,
        rx.vstack(
            rx.heading(tr("twofa.recovery_title"), size="2"),
            rx.text(tr("twofa.recovery_help"), size="1", color_scheme="gray"),
            rx.grid(
                rx.foreach(
                    S.recovery_codes,
                    lambda c: rx.code(c, class_name="recovery-code"),
                ),
                columns="2",
                spacing="2",
                id="recovery-codes",
            ),
            rx.button(
                tr("twofa.recovery_done"),
                on_click=S.dismiss_codes,
                variant="soft",
                id="recovery-done",
            ),
            spacing="2",
            align="stretch",
        ),
    )


def _enrolment() -> rx.Component:
    """Enabled: how many codes are left and (unless the role requires it) switching off;
    otherwise enrolling: the QR code, the secret and the first code."""
    return rx.cond(
        S.twofa_enabled,
        rx.vstack(
            rx.text(S.recovery_left, size="1", color_scheme="gray", id="recovery-left"),
            rx.cond(
                ~S.twofa_required,
                rx.vstack(
                    rx.text(tr("twofa.disable_help"), size="1"),
                    _code_form(
                        S.disable_two_factor,
                        "twofa.disable",
                        "twofa-disable",
                        color_scheme="red",
                        variant="soft",
                    ),
                    spacing="1",
                ),
            ),
            spacing="2",
        ),
        rx.cond(
            S.enrol_secret != "",
            rx.vstack(
                rx.text(tr("twofa.scan"), size="2"),
                rx.image(src=S.enrol_qr, width="180px", id="totp-qr", alt="QR"),
                rx.code(S.enrol_secret, id="totp-secret"),
                _code_form(S.confirm_two_factor, "twofa.confirm", "twofa-confirm"),
                spacing="2",
            ),
            rx.button(
                rx.icon("shield-check", size=16),
                tr("twofa.enable"),
                on_click=S.start_two_factor,
                id="twofa-start",
            ),
        ),
    )


def two_factor_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(tr("twofa.title"), size="3"),
                rx.cond(
                    S.twofa_enabled,
                    rx.badge(tr("twofa.on"), color_scheme="green", id="twofa-status"),
                    rx.badge(tr("twofa.off"), color_scheme="gray", id="twofa-status"),
                ),
                align="center",
            ),
            rx.text(tr("twofa.help"), size="2", color_scheme="gray"),
            rx.cond(
                S.twofa_required,
                rx.callout(tr("twofa.required"), icon="shield", size="1"),
            ),
            _recovery_codes(),
            _enrolment(),
            rx.cond(
                S.twofa_error != "",
                rx.text(S.twofa_error, color_scheme="red", size="2", id="twofa-error"),
            ),
            spacing="3",
            align="stretch",
        ),
        max_width="520px",
    )


@rx.page(
    route="/account",
    title="My account · Back-office",
    on_load=[SessionState.require_sign_in, AccountState.open_page],
)
def account_page() -> rx.Component:
    return shell(
        tr("account.title"),
        rx.cond(
            S.must_change_password,
            rx.callout(
                tr("account.must_change"),
                icon="triangle-alert",
                color_scheme="orange",
                id="must-change",
                max_width="520px",
            ),
        ),
        profile_card(),
        password_card(),
        two_factor_card(),
    )
