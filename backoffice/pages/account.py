"""My account: interface language and changing one's own password."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backoffice.components.fields import labelled
from backoffice.errors import DomainError, ValidationFailed
from backoffice.pages.layout import shell
from backoffice.pages.session import SessionState, SignedOut, tr
from backoffice.services.auth import change_own_password


class AccountState(SessionState):
    errors: dict[str, str] = {}
    form_version: int = 0

    @rx.event
    def open_page(self) -> None:
        self.errors = {}
        self.form_version += 1

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
    )
