"""REST API keys: created by HQ admins and franchise owners, never wider than their creator.

A key is `bo_<prefix>_<secret>`; only the SHA-256 of the whole token is stored (32 random
bytes need no slow hash: there is no dictionary to guess from). The token is shown once.
A key acts as an Actor holding the key's permissions and stores, intersected with what its
creator may do *now*, so demoting or deactivating the creator narrows the key at once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from redis import Redis
from sqlalchemy import event
from sqlmodel import Session, col, or_, select, update

from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import ApiKey, Staff, Store
from backoffice.models.base import utcnow
from backoffice.services.org import audit
from backoffice.services.org.access import Actor, load_actor, require
from backoffice.settings import get_settings

log = logging.getLogger(__name__)

# What a key may be given: the use cases the REST API serves. Managing keys, webhooks,
# staff or settings stays with people signed in to the back-office.
API_PERMISSIONS: tuple[str, ...] = (
    "members.read",
    "members.write",
    "members.status",
    "pii.view",
    "stores.read",
    "sales.read",
    "sales.create",
    "sales.refund",
    "points.redeem",
    "points.adjust",
    "wallet.topup",
    "coupons.issue",
    "loyalty.read",
    "workflows.read",
    "workflows.design",
)
TOKEN_PREFIX = "bo_"
MAX_RATE_PER_MINUTE = 100_000
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute per key


class ApiKeyInput(BaseModel):
    name: str = ""
    permissions: list[str] = []
    store_ids: list[int] | None = None  # None: every store (HQ creators only)
    rate_per_minute: int = 0  # 0: the API_RATE_PER_MINUTE default


@dataclass
class NewApiKey:
    key: ApiKey
    token: str  # shown once, never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _validate(session: Session, actor: Actor, data: ApiKeyInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "error.required"
    elif len(name) > 100:
        errors["name"] = "error.too_long"
    permissions = sorted(set(data.permissions))
    if not permissions:
        errors["permissions"] = "error.required"
    elif any(p not in API_PERMISSIONS for p in permissions):
        errors["permissions"] = "error.choice"
    elif any(not actor.can(p) for p in permissions):
        errors["permissions"] = "error.api_key_permission_wider"
    store_ids: list[int] | None = None
    if data.store_ids is None:
        if actor.store_ids is not None:
            errors["store_ids"] = "error.api_key_scope_wider"
    else:
        store_ids = sorted(set(data.store_ids))
        known = set(session.exec(select(Store.id).where(col(Store.id).in_(store_ids or [-1]))))
        if not store_ids:
            errors["store_ids"] = "error.required"
        elif any(s not in known for s in store_ids):
            errors["store_ids"] = "error.store_unknown"
        elif any(not actor.in_scope(s) for s in store_ids):
            errors["store_ids"] = "error.api_key_scope_wider"
    if not 0 <= data.rate_per_minute <= MAX_RATE_PER_MINUTE:
        errors["rate_per_minute"] = "error.amount_range"
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "permissions": permissions,
        "store_ids": store_ids,
        "rate_per_minute": data.rate_per_minute,
    }


def create_api_key(session: Session, actor: Actor, data: ApiKeyInput) -> NewApiKey:
    """A new key for the actor's integration; the token is returned once and never again."""
    require(actor, "api_keys.manage")  # never held by a key: API_PERMISSIONS leaves it out
    values = _validate(session, actor, data)
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    while session.exec(select(ApiKey.id).where(ApiKey.prefix == prefix)).first():
        prefix = TOKEN_PREFIX + secrets.token_hex(4)
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(**values, prefix=prefix, secret_hash=token_hash(token), created_by=actor.staff_id)
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        "api_keys.create",
        target_type="api_key",
        target_id=key.id,
        changes={**values, "prefix": prefix},
    )
    return NewApiKey(key=key, token=token)


def _visible(actor: Actor, key: ApiKey) -> bool:
    """HQ sees every key; an owner sees the keys confined to their own stores."""
    if actor.store_ids is None:
        return True
    return key.store_ids is not None and set(key.store_ids) <= actor.store_ids


def list_api_keys(session: Session, actor: Actor) -> list[ApiKey]:
    """Keys in the actor's scope, newest first (hashes stay in the database)."""
    require(actor, "api_keys.manage")
    keys = session.exec(select(ApiKey).order_by(col(ApiKey.id).desc())).all()
    return [k for k in keys if _visible(actor, k)]


def revoke_api_key(session: Session, actor: Actor, key_id: int) -> ApiKey:
    """From now on the key gets 401; revoking twice changes nothing."""
    require(actor, "api_keys.manage")
    key = session.exec(select(ApiKey).where(ApiKey.id == key_id).with_for_update()).first()
    if key is None or not _visible(actor, key):
        raise NotFound("error.not_found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by = actor.staff_id
        session.add(key)
        # after the commit, every API process refuses it (see _announce_revocations)
        session.info.setdefault("api_keys_revoked", set()).add((key.id, key.secret_hash))
        audit.record(
            session,
            actor,
            "api_keys.revoke",
            target_type="api_key",
            target_id=key.id,
            changes={"name": key.name, "prefix": key.prefix},
        )
    return key


def key_actor(session: Session, key: ApiKey) -> Actor | None:
    """The Actor a key acts as: its grants within its creator's current rights."""
    creator = session.get(Staff, key.created_by)
    if creator is None or not creator.active:
        return None
    person = load_actor(session, creator)
    if key.store_ids is None:
        stores = person.store_ids
    elif person.store_ids is None:
        stores = frozenset(key.store_ids)
    else:
        stores = frozenset(key.store_ids) & person.store_ids
    return Actor(
        staff_id=person.staff_id,
        username=f"api:{key.prefix}",
        display_name=key.name,
        role="api_key",
        permissions=frozenset(key.permissions) & person.permissions,
        store_ids=stores,
        locale=person.locale,
        home_store_id=min(stores) if stores else None,
        api_key_id=key.id,
    )


ACTOR_TTL_SECONDS = 5.0  # a creator's changed rights reach their keys within this time
_actors: dict[str, tuple[float, Actor | None]] = {}  # by secret hash


def authenticate(session: Session, token: str | None) -> tuple[ApiKey, Actor] | None:
    """The key and its Actor for a bearer token, or None (unknown, revoked, creator gone).

    The key row is read on every call, so a revocation takes effect at once; the Actor
    derived from the creator (three queries) is reused for a few seconds per process."""
    if not plausible(token):
        return None
    key = session.exec(select(ApiKey).where(ApiKey.secret_hash == token_hash(token or ""))).first()
    if key is None or key.revoked_at is not None:
        return None
    now = time.monotonic()
    cached = _actors.get(key.secret_hash)
    if cached is None or cached[0] < now:
        cached = (now + ACTOR_TTL_SECONDS, key_actor(session, key))
        _actors[key.secret_hash] = cached
    actor = cached[1]
    return None if actor is None else (key, actor)


def plausible(token: str | None) -> bool:
    """Worth a look-up at all (the shape of a token this module makes)."""
    return bool(token) and len(token or "") <= 200 and (token or "").startswith(TOKEN_PREFIX)


# ---- the API's per-process cache of verified keys --------------------------------------
#
# A till looks members up many times a second; reading the key row on every call costs a
# transaction each. A verified token is therefore remembered for ACTOR_TTL_SECONDS, and a
# revocation still takes effect at once: the committing process forgets the key, and with
# Redis a flag (REVOKED_FLAG) that the rate limiter's one script reads on every call tells
# the other processes. Without Redis the API re-reads `revoked_at` on each call instead.

REVOKED_FLAG = "api:revoked:{}"  # + the key's ref; set for longer than any grant is cached
REVOKED_FLAG_SECONDS = 3600


@dataclass
class KeyGrant:
    """What a valid token stands for, as of `expires` (time.monotonic)."""

    key_id: int
    secret_hash: str
    rate_per_minute: int
    actor: Actor
    last_used_at: datetime | None
    expires: float

    @property
    def ref(self) -> str:
        return redis_ref(self.secret_hash)


def redis_ref(secret_hash: str) -> str:
    """A key's name in Redis (rate bucket, revocation flag): from its random secret, never
    reused, unlike a row id (a restored or test database, two setups sharing one Redis)."""
    return secret_hash[:24]


_grants: dict[str, KeyGrant] = {}  # by secret hash


def cached_grant(token: str | None) -> KeyGrant | None:
    """The remembered grant for this token, if still fresh (no database involved)."""
    if not plausible(token):
        return None
    grant = _grants.get(token_hash(token or ""))
    if grant is None or grant.expires < time.monotonic():
        return None
    return grant


def load_grant(session: Session, token: str | None) -> KeyGrant | None:
    """Verify a token against the database and remember the result for a few seconds."""
    found = authenticate(session, token)
    if found is None:
        forget(token_hash(token or ""))
        return None
    key, actor = found
    grant = KeyGrant(
        key_id=key.id or 0,
        secret_hash=key.secret_hash,
        rate_per_minute=key.rate_per_minute,
        actor=actor,
        last_used_at=key.last_used_at,
        expires=time.monotonic() + ACTOR_TTL_SECONDS,
    )
    _grants[key.secret_hash] = grant
    return grant


def is_revoked(session: Session, key_id: int) -> bool:
    """The key row's revocation, read now (the check when no Redis carries the flag)."""
    row = session.exec(select(ApiKey.id, ApiKey.revoked_at).where(ApiKey.id == key_id)).first()
    return row is None or row[1] is not None


def forget(secret_hash: str) -> None:
    _grants.pop(secret_hash, None)
    _actors.pop(secret_hash, None)


@event.listens_for(Session, "after_commit")
def _announce_revocations(session: Session) -> None:
    """Once a revocation is committed: forget the key here, and flag it in Redis so that
    every other API process refuses it on its next call."""
    revoked = session.info.pop("api_keys_revoked", None)
    if not revoked:
        return
    url = get_settings().redis_url
    for key_id, secret_hash in revoked:
        forget(secret_hash)
        if not url:
            continue
        try:
            with Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as redis:
                redis.set(REVOKED_FLAG.format(redis_ref(secret_hash)), 1, ex=REVOKED_FLAG_SECONDS)
        except Exception:  # noqa: BLE001  (Redis down: others see it within ACTOR_TTL_SECONDS)
            log.warning("could not flag revoked API key %s in Redis", key_id, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_revocations(session: Session) -> None:
    session.info.pop("api_keys_revoked", None)


def needs_touch(key: ApiKey | KeyGrant) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at >= TOUCH_EVERY


def touch(session: Session, key_id: int) -> datetime:
    """Note the key's use (callers ask `needs_touch` first: a write per read would serialise
    SQLite); the condition keeps concurrent requests from writing it more than once."""
    now = utcnow()
    session.exec(
        update(ApiKey)
        .where(
            col(ApiKey.id) == key_id,
            or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) < now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
    )
    return now
