"""The signed-in person for every page: cookie token → Actor, re-derived on each event.

Nothing here is trusted for identity or scope: any browser can set any state var
(`setvar`), so each handler asks the database who the token belongs to and the services
decide what that person may do. `me_*` and `perms` only shape the navigation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx
from sqlmodel import Session

from backoffice.db import session_scope
from backoffice.errors import DomainError, PermissionDenied, ValidationFailed
from backoffice.i18n import catalog_for, error_text, normalize_locale, t
from backoffice.services.org.access import Actor
from backoffice.services.org.auth import actor_for_token, must_change_password
from backoffice.settings import get_settings

R = TypeVar("R")
SESSION_COOKIE = "bo_session"
REMEMBER_COOKIE = "bo_remember"


class SignedOut(Exception):
    """The cookie's token is missing, expired or revoked."""


class SessionState(rx.State):
    """Base of every page state: the session cookies, the language and the nav info."""

    session_token: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict")
    remember_token: str = rx.Cookie(
        "",
        name=REMEMBER_COOKIE,
        same_site="strict",
        max_age=get_settings().remember_days * 86400,
    )
    lang: str = normalize_locale(get_settings().default_locale)
    t: dict[str, str] = catalog_for(get_settings().default_locale)
    me_name: str = ""
    me_role: str = ""
    perms: list[str] = []
    alerts: list[str] = []  # open operations alerts, for the banner
    must_change_password: bool = False

    @rx.var
    def role_label(self) -> str:
        return self.t.get("role." + self.me_role, self.me_role)

    # ---- server-side helpers (not event handlers: leading underscore) ----

    def _token(self) -> str:
        return self.session_token or self.remember_token

    def _actor(self, session: Session) -> Actor:
        actor = actor_for_token(session, self._token())
        if actor is None:
            raise SignedOut
        return actor

    def _call(self, use_case: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run one service use case as the signed-in actor in one transaction."""
        with session_scope() as session:
            return use_case(session, self._actor(session), *args, **kwargs)

    def _tr(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    def _error(self, exc: Exception) -> str:
        return error_text(self.lang, exc)

    def _field_errors(self, exc: ValidationFailed) -> dict[str, str]:
        return {name: t(self.lang, message, **exc.params) for name, message in exc.errors.items()}

    def _fail(self, exc: Exception) -> Any:
        """The usual answer to a refused call: sign-in page, or a toast with the reason."""
        if isinstance(exc, SignedOut) or (
            isinstance(exc, PermissionDenied) and exc.message == "error.signed_out"
        ):
            return rx.redirect("/login")
        if isinstance(exc, DomainError):
            return rx.toast.error(self._error(exc))
        raise exc

    def _apply_actor(self, actor: Actor) -> None:
        self.me_name = actor.display_name
        self.me_role = actor.role
        self.perms = sorted(actor.permissions)
        if self.lang != actor.locale:
            self.lang = normalize_locale(actor.locale)
            self.t = catalog_for(self.lang)

    def _load_actor(self) -> Actor | None:
        """Refresh nav info from the database; None when signed out."""
        with session_scope() as session:
            actor = actor_for_token(session, self._token())
            if actor is None:
                return None
            self.must_change_password = must_change_password(session, actor)
            self._apply_actor(actor)
            self._load_alerts(session, actor)
        return actor

    def _load_alerts(self, session: Session, actor: Actor) -> None:
        from backoffice.services.operations.alerts import detail_text, open_alerts

        if not actor.can("operations.manage"):
            self.alerts = []
            return
        self.alerts = [
            self._tr(f"alert.{a.rule}", subject=a.subject)
            + " — "
            + detail_text(a.detail, self.lang)
            for a in open_alerts(session, actor)
        ]

    # ---- event handlers ----

    @rx.event
    def require_sign_in(self) -> Any:
        """on_load of every staff page: off to /login without a valid session."""
        actor = self._load_actor()
        if actor is None:
            return rx.redirect("/login")
        if self.must_change_password and self.router.url.path != "/account":
            return rx.redirect("/account")
        return None

    @rx.event
    def set_language(self, lang: str) -> Any:
        """Switch the UI language; saved on the account when signed in."""
        from backoffice.services.org.staff import set_own_locale

        lang = normalize_locale(lang)
        self.lang = lang
        self.t = catalog_for(lang)
        if self._token():
            try:
                self._call(set_own_locale, lang)
                self._load_actor()  # the alert banner's text is written in the language
            except (SignedOut, DomainError):
                return None
        return None

    @rx.event
    def sign_out(self) -> Any:
        from backoffice.services.org.auth import sign_out

        with session_scope() as session:
            sign_out(session, self._token())
        self.session_token = ""
        self.remember_token = ""
        self.me_name = ""
        self.me_role = ""
        self.perms = []
        return rx.redirect("/login")


def tr(key: str) -> rx.Var:
    """A translated string Var for components: follows the person's language."""
    return SessionState.t[key]
