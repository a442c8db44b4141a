"""Sign-in page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import hydration_marker, labelled
from backoffice.db import session_scope
from backoffice.errors import AuthFailed
from backoffice.pages.layout import language_switch
from backoffice.pages.session import SessionState, tr
from backoffice.services.org import two_factor
from backoffice.services.org.access import Actor
from backoffice.services.org.auth import SignInResult, actor_for_token, attempt_sign_in
from backoffice.services.portal.self_service import qr_data_uri


def home_path(actor: Actor) -> str:
    """Where a person lands after sign-in: the dashboard for report readers (owners, HQ),
    the member list for everyone else (reception)."""
    return "/reports" if actor.can("reports.read") else "/members"


class LoginState(SessionState):
    error: str = ""
    busy: bool = False
    # Two-factor: which second step is on screen ("verify", "enrol", "recovery"). Display
    # only; the pending sign-in itself is a database row whose random handle stays in the
    # backend-only `_challenge` (never sent to, nor settable by, the browser).
    step: str = ""
    enrol_secret: str = ""
    enrol_qr: str = ""
    recovery_codes: list[str] = []
    _challenge: str = ""

    @rx.event
    def open_login(self) -> Any:
        """Already signed in: go straight to the members."""
        self.error = ""
        with session_scope() as session:
            actor = actor_for_token(session, self._token())
        if actor is not None:
            return rx.redirect(home_path(actor))
        return None

    @rx.event
    def open_login_or_home(self) -> Any:
        """/ : the home page for a signed-in person, sign-in for anyone else."""
        with session_scope() as session:
            actor = actor_for_token(session, self._token())
        return rx.redirect(home_path(actor) if actor is not None else "/login")

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        login = str(form.get("login", ""))[:100]
        password = str(form.get("password", ""))[:200]
        remember = form.get("remember") in (True, "on", "true")
        self.error = ""
        self._clear_second_step()
        with session_scope() as session:
            try:
                result = attempt_sign_in(
                    session, login, password, remember, ip=self.router.session.client_ip
                )
            except AuthFailed as exc:
                self.error = self._error(exc)
                return None
            if result.second_step:
                self._challenge, self.step = result.token, result.second_step
                if result.second_step == "enrol":
                    enrolment = two_factor.enrolment_for_challenge(session, result.token)
                    self.enrol_secret = enrolment.secret
                    self.enrol_qr = qr_data_uri(enrolment.uri)
                return None
        return self._signed_in(result)

    def _clear_second_step(self) -> None:
        self._challenge, self.step, self.enrol_secret, self.enrol_qr = "", "", "", ""
        self.recovery_codes = []

    @rx.event
    def submit_code(self, form: dict[str, Any]) -> Any:
        """Second step: the authenticator code (or a recovery code) for the pending sign-in
        held on the server; or, when the role requires it, the first code of a new app."""
        code = str(form.get("code", ""))[:40]
        self.error = ""
        with session_scope() as session:
            try:
                if two_factor.challenge_purpose(session, self._challenge) == "enrol":
                    result, codes = two_factor.attempt_enrolment(session, self._challenge, code)
                else:
                    result = two_factor.attempt_code(session, self._challenge, code)
                    codes = []
            except AuthFailed as exc:
                self.error = self._error(exc)
                if not two_factor.challenge_purpose(session, self._challenge):
                    self._clear_second_step()  # timed out or locked: back to the password
                return None
        self._clear_second_step()
        if codes:
            self._store_session(result)
            self.step, self.recovery_codes = "recovery", codes
            return None
        return self._signed_in(result)

    @rx.event
    def finish_enrolment(self) -> Any:
        """The new recovery codes were shown once; on to the home page (if signed in)."""
        self._clear_second_step()
        with session_scope() as session:
            actor = actor_for_token(session, self._token())
        return rx.redirect(home_path(actor) if actor is not None else "/login")

    @rx.event
    def start_over(self) -> None:
        self._clear_second_step()
        self.error = ""

    def _store_session(self, result: SignInResult) -> None:
        if result.remember:
            self.remember_token = result.token
            self.session_token = ""
        else:
            self.session_token = result.token
            self.remember_token = ""
        self._apply_actor(result.actor)

    def _signed_in(self, result: SignInResult) -> Any:
        self._store_session(result)
        return rx.redirect(home_path(result.actor))


def _code_form() -> rx.Component:
    """The authenticator (or recovery) code, with the sign-in error under it."""
    S = LoginState
    error = rx.cond(
        S.error != "",
        rx.callout(S.error, icon="triangle-alert", color_scheme="red", id="login-error"),
    )
    return rx.form(
        rx.vstack(
            labelled(
                tr("twofa.code_or_recovery"),
                rx.input(
                    name="code",
                    id="totp-code",
                    auto_complete="one-time-code",
                    auto_focus=True,
                    required=True,
                    size="3",
                ),
            ),
            error,
            rx.button(tr("twofa.verify"), type="submit", size="3", width="100%", id="verify-code"),
            spacing="3",
            align="stretch",
        ),
        on_submit=S.submit_code,
        reset_on_submit=True,
    )


def _recovery_step() -> rx.Component:
    """The recovery codes of a just-finished enrolment, shown once."""
    S = LoginState
    return rx.vstack(
        rx.heading(tr("twofa.recovery_title"), size="4"),
        rx.text(tr("twofa.recovery_help"), size="2", color_scheme="gray"),
        rx.grid(
            rx.foreach(
                S.recovery_codes,
                lambda c: rx.code(c, size="3", class_name="recovery-code"),
            ),
            columns="2",
            spacing="2",
            id="recovery-codes",
        ),
        rx.button(
            tr("twofa.recovery_done"),
            on_click=S.finish_enrolment,
            size="3",
            id="recovery-done",
        ),
        spacing="3",
        align="stretch",
    )


def _enrol_step(code_form: rx.Component) -> rx.Component:
    """First-time enrolment the role requires: the QR code, the secret, the first code."""
    S = LoginState
    return rx.vstack(
        rx.heading(tr("twofa.enrol_title"), size="4"),
        rx.text(tr("twofa.enrol_help"), size="2", color_scheme="gray"),
        rx.text(tr("twofa.scan"), size="2"),
        rx.center(rx.image(src=S.enrol_qr, width="180px", id="totp-qr", alt="QR")),
        rx.code(S.enrol_secret, id="totp-secret", size="2"),
        code_form,
        spacing="3",
        align="stretch",
    )


def second_step() -> rx.Component:
    """After the password: the authenticator code, first-time enrolment, or the recovery
    codes of a just-finished enrolment."""
    S = LoginState
    code_form = _code_form()
    return rx.vstack(
        rx.match(
            S.step,
            ("recovery", _recovery_step()),
            ("enrol", _enrol_step(code_form)),
            rx.vstack(
                rx.heading(tr("twofa.login_title"), size="4"),
                rx.text(tr("twofa.login_help"), size="2", color_scheme="gray"),
                code_form,
                spacing="3",
                align="stretch",
            ),
        ),
        rx.cond(
            S.step != "recovery",
            rx.button(
                tr("twofa.start_over"),
                on_click=S.start_over,
                variant="ghost",
                size="1",
                id="start-over",
            ),
        ),
        spacing="3",
        align="stretch",
    )


def _password_form() -> rx.Component:
    """The first step: login (username or phone), password, remember me."""
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.icon("gem", size=28, color="var(--accent-9)"),
                rx.vstack(
                    rx.heading(tr("app.name"), size="5"),
                    rx.text(tr("app.tagline"), size="1", color_scheme="gray"),
                    spacing="0",
                ),
                align="center",
            ),
            rx.heading(tr("login.title"), size="4", padding_top="8px"),
            labelled(
                tr("login.login"),
                rx.input(
                    name="login",
                    id="login",
                    auto_complete="username",
                    auto_focus=True,
                    required=True,
                    size="3",
                ),
            ),
            labelled(
                tr("login.password"),
                rx.input(
                    name="password",
                    id="password",
                    type="password",
                    auto_complete="current-password",
                    required=True,
                    size="3",
                ),
            ),
            rx.hstack(
                rx.checkbox(name="remember", id="remember"),
                rx.text(tr("login.remember"), size="2"),
                align="center",
            ),
            rx.cond(
                LoginState.error != "",
                rx.callout(
                    LoginState.error,
                    icon="triangle-alert",
                    color_scheme="red",
                    id="login-error",
                ),
            ),
            rx.button(tr("login.submit"), type="submit", size="3", width="100%", id="sign-in"),
            spacing="3",
            align="stretch",
        ),
        on_submit=LoginState.submit,
        reset_on_submit=False,
    )


@rx.page(route="/login", title="Sign in · Back-office", on_load=LoginState.open_login)
def login_page() -> rx.Component:
    return rx.center(
        hydration_marker(),
        rx.card(
            rx.cond(
                LoginState.step != "",
                second_step(),
                _password_form(),
            ),
            rx.hstack(rx.spacer(), language_switch(), width="100%", padding_top="12px"),
            width="380px",
            size="4",
        ),
        min_height="100vh",
        background="linear-gradient(135deg, var(--accent-2), var(--gray-2))",
    )
