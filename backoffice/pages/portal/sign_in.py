"""Member portal (/m/…): phone pages for members, apart from the staff back-office.

Members have their own cookies (bo_member_session / bo_member_remember) checked against
their own table, so a member token is never a staff session and a staff cookie never
opens a member page. As on the staff pages, nothing in the state is trusted for identity:
every handler asks the database who the cookie's token belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from backoffice.components.fields import hydration_marker, labelled
from backoffice.db import session_scope
from backoffice.errors import AuthFailed, DomainError, PermissionDenied, ValidationFailed
from backoffice.i18n import catalog_for, error_text, normalize_locale, t
from backoffice.services.portal import accounts as member_portal
from backoffice.services.portal.accounts import PortalMember, SignUpInput
from backoffice.settings import get_settings

R = TypeVar("R")
MEMBER_SESSION_COOKIE = "bo_member_session"
MEMBER_REMEMBER_COOKIE = "bo_member_remember"


class MemberSignedOut(Exception):
    """No valid member session behind the cookie."""


def _checked(form: dict[str, Any], name: str) -> bool:
    return form.get(name) in (True, "on", "true")


class MemberSessionState(rx.State):
    """Base of every member page: the member cookies and the language."""

    m_session: str = rx.Cookie("", name=MEMBER_SESSION_COOKIE, same_site="strict")
    m_remember: str = rx.Cookie(
        "",
        name=MEMBER_REMEMBER_COOKIE,
        same_site="strict",
        max_age=get_settings().remember_days * 86400,
    )
    lang: str = normalize_locale(get_settings().default_locale)
    t: dict[str, str] = catalog_for(get_settings().default_locale)
    me_name: str = ""

    def _token(self) -> str:
        return self.m_session or self.m_remember

    def _me(self, session: Session) -> PortalMember:
        me = member_portal.member_for_token(session, self._token())
        if me is None:
            raise MemberSignedOut
        return me

    def _run(self, use_case: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """One self-service use case as the signed-in member, in one transaction."""
        with session_scope() as session:
            return use_case(session, self._me(session), *args, **kwargs)

    def _tr(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    def _fail(self, exc: Exception) -> Any:
        if isinstance(exc, MemberSignedOut) or (
            isinstance(exc, PermissionDenied) and exc.message == "error.signed_out"
        ):
            return rx.redirect("/m/login")
        if isinstance(exc, DomainError):
            return rx.toast.error(error_text(self.lang, exc))
        raise exc

    def _field_errors(self, exc: ValidationFailed) -> dict[str, str]:
        return {k: t(self.lang, v, **exc.params) for k, v in exc.errors.items()}

    @rx.event
    def require_member(self) -> Any:
        """on_load of every signed-in member page."""
        with session_scope() as session:
            me = member_portal.member_for_token(session, self._token())
        if me is None:
            self.me_name = ""
            return rx.redirect("/m/login")
        self.me_name = me.name
        return None

    @rx.event
    def set_language(self, lang: str) -> None:
        self.lang = normalize_locale(lang)
        self.t = catalog_for(self.lang)

    @rx.event
    def sign_out(self) -> Any:
        with session_scope() as session:
            member_portal.sign_out(session, self._token())
        self.m_session = ""
        self.m_remember = ""
        self.me_name = ""
        return rx.redirect("/m/login")


def mtr(key: str) -> rx.Var:
    """A translated string for member pages."""
    return MemberSessionState.t[key]


def language_toggle() -> rx.Component:
    return rx.hstack(
        rx.button(
            "中文",
            variant="ghost",
            size="1",
            on_click=MemberSessionState.set_language("zh-CN"),
            id="m-lang-zh",
        ),
        rx.button(
            "EN",
            variant="ghost",
            size="1",
            on_click=MemberSessionState.set_language("en"),
            id="m-lang-en",
        ),
        spacing="1",
    )


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("gem", size=24, color="var(--accent-9)"),
        rx.vstack(
            rx.heading(mtr("portal.name"), size="4"),
            rx.text(mtr("portal.tagline"), size="1", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        language_toggle(),
        align="center",
        width="100%",
    )


def phone_frame(*children: rx.Component) -> rx.Component:
    """A single column as wide as a phone, centred on larger screens."""
    return rx.box(
        hydration_marker(),
        rx.vstack(*children, spacing="4", width="100%", align="stretch"),
        max_width="480px",
        margin="0 auto",
        padding="16px",
        min_height="100vh",
        background="var(--gray-1)",
    )


def _input(name: str, label_key: str, *, type_: str = "text", **props: Any) -> rx.Component:
    return rx.input(name=name, id=f"m-{name}", type=type_, size="3", **props)


# ---- sign-in ------------------------------------------------------------------------------


class MemberLoginState(MemberSessionState):
    error: str = ""

    @rx.event
    def open_login(self) -> Any:
        self.error = ""
        with session_scope() as session:
            if member_portal.member_for_token(session, self._token()) is not None:
                return rx.redirect("/m/home")
        return None

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        self.error = ""
        with session_scope() as session:
            try:
                result = member_portal.attempt_sign_in(
                    session,
                    str(form.get("phone", ""))[:40],
                    str(form.get("password", ""))[:200],
                    _checked(form, "remember"),
                    ip=self.router.session.client_ip,
                )
            except AuthFailed as exc:
                self.error = error_text(self.lang, exc)
                return None
        self.m_remember = result.token if result.remember else ""
        self.m_session = "" if result.remember else result.token
        self.me_name = result.member.name
        return rx.redirect("/m/home")


@rx.page(route="/m/login", title="会员登录 · Member", on_load=MemberLoginState.open_login)
def member_login_page() -> rx.Component:
    S = MemberLoginState
    return phone_frame(
        brand(),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(mtr("portal.login_title"), size="5"),
                    labelled(
                        mtr("portal.phone"),
                        _input("phone", "portal.phone", type_="tel", auto_complete="tel"),
                    ),
                    labelled(
                        mtr("portal.password"),
                        _input(
                            "password",
                            "portal.password",
                            type_="password",
                            auto_complete="current-password",
                        ),
                    ),
                    rx.text(
                        rx.hstack(
                            rx.checkbox(name="remember", id="m-remember"),
                            mtr("portal.remember"),
                            spacing="2",
                            align="center",
                        ),
                        as_="label",
                        size="2",
                    ),
                    rx.cond(
                        S.error != "",
                        rx.callout(
                            S.error, icon="triangle-alert", color_scheme="red", id="m-login-error"
                        ),
                    ),
                    rx.button(
                        mtr("portal.sign_in"), type="submit", size="3", width="100%", id="m-sign-in"
                    ),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=S.submit,
                reset_on_submit=False,
            ),
            size="3",
        ),
        rx.link(mtr("portal.no_account"), href="/m/signup", id="m-to-signup"),
        rx.link(mtr("portal.forgot"), href="/m/reset", id="m-to-reset", size="2"),
    )


# ---- sign-up ------------------------------------------------------------------------------


class MemberSignupState(MemberSessionState):
    errors: dict[str, str] = {}

    @rx.event
    def open_signup(self) -> None:
        self.errors = {}

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        data = SignUpInput(
            phone=str(form.get("phone", ""))[:40],
            name=str(form.get("name", ""))[:100],
            password=str(form.get("password", ""))[:200],
            consent=_checked(form, "consent"),
            referrer_ref=str(form.get("referrer_ref", ""))[:40],
        )
        self.errors = {}
        try:
            with session_scope() as session:
                result = member_portal.sign_up(session, data, ip=self.router.session.client_ip)
        except ValidationFailed as exc:
            self.errors = self._field_errors(exc)
            return None
        self.m_session = result.token
        self.m_remember = ""
        self.me_name = result.member.name
        return rx.redirect("/m/home")


@rx.page(route="/m/signup", title="注册会员 · Member", on_load=MemberSignupState.open_signup)
def member_signup_page() -> rx.Component:
    S = MemberSignupState

    def err(name: str) -> rx.Var:
        return S.errors.get(name, "")

    return phone_frame(
        brand(),
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(mtr("portal.signup_title"), size="5"),
                    labelled(
                        mtr("portal.phone"),
                        _input("phone", "portal.phone", type_="tel", auto_complete="tel"),
                        err("phone"),
                        required=True,
                    ),
                    labelled(
                        mtr("portal.your_name"),
                        _input("name", "portal.your_name", auto_complete="name"),
                        err("name"),
                        required=True,
                    ),
                    labelled(
                        mtr("portal.password"),
                        _input(
                            "password",
                            "portal.password",
                            type_="password",
                            auto_complete="new-password",
                        ),
                        err("password"),
                        hint=mtr("portal.password_hint"),
                        required=True,
                    ),
                    labelled(
                        mtr("portal.referral"),
                        _input("referrer_ref", "portal.referral"),
                        err("referrer_ref"),
                        hint=mtr("portal.referral_hint"),
                    ),
                    rx.vstack(
                        rx.text(
                            rx.hstack(
                                # Unticked by default: agreeing is the member's own act.
                                rx.checkbox(name="consent", id="m-consent", default_checked=False),
                                rx.text(
                                    mtr("portal.consent"),
                                    " ",
                                    rx.link(
                                        mtr("portal.privacy_policy"),
                                        href="/m/privacy",
                                        is_external=True,
                                    ),
                                ),
                                spacing="2",
                                align="center",
                            ),
                            as_="label",
                            size="2",
                        ),
                        rx.cond(
                            err("consent") != "",
                            rx.callout(
                                err("consent"),
                                icon="triangle-alert",
                                color_scheme="red",
                                id="m-consent-error",
                                size="1",
                            ),
                        ),
                        spacing="1",
                    ),
                    rx.button(
                        mtr("portal.sign_up"), type="submit", size="3", width="100%", id="m-sign-up"
                    ),
                    spacing="3",
                    align="stretch",
                ),
                on_submit=S.submit,
                reset_on_submit=False,
            ),
            size="3",
        ),
        rx.link(mtr("portal.have_account"), href="/m/login"),
    )


@rx.page(route="/m/privacy", title="隐私政策 · Privacy")
def member_privacy_page() -> rx.Component:
    return phone_frame(
        brand(),
        rx.card(
            rx.vstack(
                rx.heading(mtr("portal.privacy_title"), size="5"),
                rx.text(
                    "v" + get_settings().privacy_policy_version,
                    id="m-privacy-version",
                    size="1",
                    color_scheme="gray",
                ),
                rx.text(mtr("portal.privacy_body"), size="2"),
                spacing="3",
            ),
        ),
        rx.link(mtr("portal.back"), href="/m/signup"),
    )


# ---- password reset ---------------------------------------------------------------------------


class MemberResetState(MemberSessionState):
    step: str = ""  # "" → ask for the phone; "code" → code and new password
    phone: str = ""
    errors: dict[str, str] = {}
    notice: str = ""

    @rx.event
    def open_reset(self) -> None:
        self.step, self.errors, self.notice = "", {}, ""

    @rx.event
    def send_code(self, form: dict[str, Any]) -> Any:
        phone = str(form.get("phone", ""))[:40]
        self.errors = {}
        with session_scope() as session:
            member_portal.request_reset(session, phone, self.lang)
        # The same answer whether or not the number is a member's.
        self.phone, self.step = phone, "code"
        self.notice = self._tr("portal.code_sent")
        return None

    @rx.event
    def set_new_password(self, form: dict[str, Any]) -> Any:
        self.errors = {}
        with session_scope() as session:
            try:
                member_portal.attempt_reset(
                    session,
                    str(form.get("phone", ""))[:40],
                    str(form.get("code", ""))[:12],
                    str(form.get("new_password", ""))[:200],
                )
            except ValidationFailed as exc:
                self.errors = self._field_errors(exc)
                return None
        self.step, self.notice = "", ""
        return [rx.toast.success(self._tr("portal.password_reset_done")), rx.redirect("/m/login")]


@rx.page(route="/m/reset", title="重置密码 · Member", on_load=MemberResetState.open_reset)
def member_reset_page() -> rx.Component:
    S = MemberResetState
    ask = rx.form(
        rx.vstack(
            rx.text(mtr("portal.reset_help"), size="2", color_scheme="gray"),
            labelled(mtr("portal.phone"), _input("phone", "portal.phone", type_="tel")),
            rx.button(mtr("portal.send_code"), type="submit", size="3", id="m-send-code"),
            spacing="3",
            align="stretch",
        ),
        on_submit=S.send_code,
        reset_on_submit=False,
    )
    answer = rx.form(
        rx.vstack(
            rx.callout(S.notice, icon="info", size="1", id="m-code-sent"),
            labelled(
                mtr("portal.phone"),
                rx.input(name="phone", default_value=S.phone, read_only=True, size="3"),
            ),
            labelled(
                mtr("portal.code"),
                _input("code", "portal.code", inputmode="numeric", auto_complete="one-time-code"),
                S.errors.get("code", ""),
            ),
            labelled(
                mtr("portal.new_password"),
                _input("new_password", "portal.new_password", type_="password"),
                S.errors.get("new_password", ""),
                hint=mtr("portal.password_hint"),
            ),
            rx.button(mtr("portal.set_password"), type="submit", size="3", id="m-set-password"),
            spacing="3",
            align="stretch",
        ),
        on_submit=S.set_new_password,
        reset_on_submit=False,
    )
    return phone_frame(
        brand(),
        rx.card(
            rx.vstack(
                rx.heading(mtr("portal.reset_title"), size="5"),
                rx.cond(S.step == "code", answer, ask),
                spacing="3",
            ),
            size="3",
        ),
        rx.link(mtr("portal.back"), href="/m/login"),
    )
