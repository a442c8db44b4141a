"""Sign-in page."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import hydration_marker, labelled
from backoffice.db import session_scope
from backoffice.errors import AuthFailed
from backoffice.pages.layout import language_switch
from backoffice.pages.session import SessionState, tr
from backoffice.services.auth import actor_for_token, attempt_sign_in


class LoginState(SessionState):
    error: str = ""
    busy: bool = False

    @rx.event
    def open_login(self) -> Any:
        """Already signed in: go straight to the members."""
        self.error = ""
        with session_scope() as session:
            if actor_for_token(session, self._token()) is not None:
                return rx.redirect("/members")
        return None

    @rx.event
    def open_login_or_home(self) -> Any:
        """/ : the members for a signed-in person, sign-in for anyone else."""
        with session_scope() as session:
            signed_in = actor_for_token(session, self._token()) is not None
        return rx.redirect("/members" if signed_in else "/login")

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        login = str(form.get("login", ""))[:100]
        password = str(form.get("password", ""))[:200]
        remember = form.get("remember") in (True, "on", "true")
        self.error = ""
        with session_scope() as session:
            try:
                result = attempt_sign_in(
                    session, login, password, remember, ip=self.router.session.client_ip
                )
            except AuthFailed as exc:
                self.error = self._error(exc)
                return None
        if result.remember:
            self.remember_token = result.token
            self.session_token = ""
        else:
            self.session_token = result.token
            self.remember_token = ""
        self._apply_actor(result.actor)
        return rx.redirect("/members")


@rx.page(route="/login", title="Sign in · Back-office", on_load=LoginState.open_login)
def login_page() -> rx.Component:
    return rx.center(
        hydration_marker(),
        rx.card(
            rx.form(
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
                    rx.button(
                        tr("login.submit"), type="submit", size="3", width="100%", id="sign-in"
                    ),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=LoginState.submit,
                reset_on_submit=False,
            ),
            rx.hstack(rx.spacer(), language_switch(), width="100%", padding_top="12px"),
            width="380px",
            size="4",
        ),
        min_height="100vh",
        background="linear-gradient(135deg, var(--accent-2), var(--gray-2))",
    )
