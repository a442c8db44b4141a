"""Who is calling and how a call runs: key → Actor, rate limit, one transaction per call,
and Idempotency-Key for writes.

Idempotency: the record (key, Idempotency-Key) is inserted and committed in its own
transaction BEFORE the write runs. A concurrent twin hits the unique constraint, waits
for the first call's answer and replays it; the answer is stored in the same transaction
as the write, so "effect done" and "answer stored" commit together. A failed write removes
its record, so a corrected retry runs again.

A record still pending after PENDING_TAKEOVER_SECONDS belongs to a call that died mid-way
(its process was killed; its transaction rolled back, so nothing of it remains but the
record). A retry then takes it over instead of getting 409 forever: it replaces the record
by a new one in one transaction, so of two retries only one wins, and the dead call, were
it somehow still running, finds its record gone when it stores its answer and rolls its
write back.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backoffice.api import ratelimit, read_audit
from backoffice.api.errors import ApiError
from backoffice.api.writers import write_scope
from backoffice.db import read_engine, read_scope, retry_conflicts
from backoffice.services.org import api_keys, idempotency
from backoffice.services.org.access import Actor
from backoffice.services.org.api_keys import KeyGrant
from backoffice.services.org.idempotency import RecordRef, StoredCall

bearer = HTTPBearer(
    auto_error=False,
    description="An API key from the back-office (Settings → API keys): `Bearer bo_…`",
)
REPLAY_WAIT_SECONDS = 10.0
PENDING_TAKEOVER_SECONDS = 60.0


class _Superseded(Exception):
    """This call's idempotency record was taken over by a retry: its write must not stay."""


@dataclass
class ApiCall:
    key_id: int
    actor: Actor
    idempotency_key: str | None = None
    method_path: str = ""
    request_hash: str = ""

    def read(self, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a read use case as the key (a read transaction: no write lock on SQLite)."""
        with read_scope() as session:
            return use_case(session, self.actor, *args, **kwargs)

    async def read_point(self, use_case: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`read` for a look-up through a unique index. On SQLite that is a fraction of a
        millisecond in-process, less than the two thread switches of the thread pool, so it
        runs on the event loop (WAL readers never wait for a lock); elsewhere in the pool."""
        if read_engine().dialect.name == "sqlite":
            return self.read(use_case, *args, **kwargs)
        return await run_in_threadpool(self.read, use_case, *args, **kwargs)

    @property
    def request_id(self) -> str | None:
        """A services-level request id derived from the Idempotency-Key (belt and braces)."""
        if not self.idempotency_key:
            return None
        raw = f"{self.key_id}:{self.idempotency_key}".encode()
        return "api-" + hashlib.sha256(raw).hexdigest()[:40]

    def write(self, work: Callable[[Session, Actor], Any], status_code: int = 200) -> JSONResponse:
        """Run a write; with an Idempotency-Key, at most once per key and request."""
        if not self.idempotency_key:

            def once() -> Any:
                with write_scope() as session:
                    return jsonable_encoder(work(session, self.actor))

            return JSONResponse(retry_conflicts(once), status_code=status_code)
        mine, replay = self._reserve()
        if replay is not None:
            return replay

        def once_kept() -> Any:
            with write_scope() as session:
                body = jsonable_encoder(work(session, self.actor))
                if not idempotency.store_answer(session, mine, status_code, body):
                    raise _Superseded
            return body

        try:
            body = retry_conflicts(once_kept)
        except _Superseded:
            raise _in_progress() from None
        except BaseException:
            with write_scope() as session:
                idempotency.release(session, mine)
            raise
        return JSONResponse(body, status_code=status_code)

    def _new_record(self, session: Session) -> RecordRef:
        return idempotency.reserve(
            session, self.key_id, self.idempotency_key or "", self.method_path, self.request_hash
        )

    def _take_over(self, stale: StoredCall) -> RecordRef | None:
        """Replace a long-pending record by this call's; None when another retry won."""
        with write_scope() as session:
            return idempotency.take_over(
                session,
                stale,
                self.key_id,
                self.idempotency_key or "",
                self.method_path,
                self.request_hash,
            )

    def _reserve(self) -> tuple[RecordRef, JSONResponse | None]:
        try:
            with write_scope() as session:
                return self._new_record(session), None
        except IntegrityError:
            pass
        deadline = time.monotonic() + REPLAY_WAIT_SECONDS
        while True:
            with read_scope() as session:
                first = idempotency.find(session, self.key_id, self.idempotency_key or "")
            if first is None:  # the first call failed and let go of the key: run this one
                return self._reserve()
            if first.method_path != self.method_path or first.request_hash != self.request_hash:
                raise ApiError(
                    422, "idempotency_mismatch", "error.idempotency_mismatch", "Idempotency-Key"
                )
            if first.status:
                return (0, first.ref[1]), JSONResponse(
                    first.response,
                    status_code=first.status,
                    headers={"Idempotent-Replayed": "true"},
                )
            if first.pending_for(PENDING_TAKEOVER_SECONDS):
                taken = self._take_over(first)
                if taken is not None:
                    return taken, None
                continue  # another retry took it over: wait for its answer
            if time.monotonic() > deadline:
                raise _in_progress()
            time.sleep(0.05)


def _in_progress() -> ApiError:
    return ApiError(
        409,
        "idempotency_in_progress",
        "error.idempotency_in_progress",
        "Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def _unauthorized() -> ApiError:
    return ApiError(
        401, "unauthorized", "error.api_key_invalid", headers={"WWW-Authenticate": "Bearer"}
    )


def _load_grant(token: str | None) -> KeyGrant | None:
    with read_scope() as session:
        return api_keys.load_grant(session, token)


def _revoked(key_id: int) -> bool:
    with read_scope() as session:
        return api_keys.is_revoked(session, key_id)


def _touch(grant: KeyGrant) -> None:
    with write_scope() as session:
        grant.last_used_at = api_keys.touch(session, grant.key_id)


async def _authenticate(token: str | None) -> tuple[int, Actor]:
    """The key's id and Actor, or 401/429. Runs on the event loop: a key verified in the last
    few seconds costs no database work, only the rate limiter's one (awaited) Redis call,
    which also reports a revocation; database work, when needed, goes to the thread pool."""
    if not api_keys.plausible(token):
        raise _unauthorized()
    grant = api_keys.cached_grant(token)
    cached = grant is not None
    if grant is None:
        grant = await run_in_threadpool(_load_grant, token)
        if grant is None:
            raise _unauthorized()
    verdict = await ratelimit.take(grant.ref, grant.rate_per_minute)
    if verdict.revoked or (
        # without Redis another process's revocation is only in the database
        cached and not verdict.sees_revocations and await run_in_threadpool(_revoked, grant.key_id)
    ):
        api_keys.forget(grant.secret_hash)
        raise _unauthorized()
    if api_keys.needs_touch(grant):  # at most once a minute per key and process
        await run_in_threadpool(_touch, grant)
    if verdict.wait > 0:
        raise ApiError(
            429,
            "rate_limited",
            "error.rate_limited",
            headers={"Retry-After": str(max(1, int(verdict.wait + 0.999)))},
        )
    return grant.key_id, grant.actor


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    if credentials is not None:
        return credentials.credentials
    return request.headers.get("x-api-key")


async def read_call(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> ApiCall:
    """Dependency of every read: the key's Actor (401/429 otherwise)."""
    key_id, actor = await _authenticate(_token(request, credentials))
    query = f"?{request.url.query}" if request.url.query else ""
    read_audit.note(actor, f"{request.method} {request.url.path}{query}")
    return ApiCall(key_id=key_id, actor=actor)


async def write_call(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> ApiCall:
    """Dependency of every write: as `read_call`, plus the Idempotency-Key and body hash."""
    key_id, actor = await _authenticate(_token(request, credentials))
    idem = request.headers.get("idempotency-key")
    if idem is not None and not 1 <= len(idem) <= 100:
        raise ApiError(422, "validation", "error.idempotency_key", "Idempotency-Key")
    body = await request.body()
    method_path = f"{request.method} {request.url.path}"[:300]
    return ApiCall(
        key_id=key_id,
        actor=actor,
        idempotency_key=idem,
        method_path=method_path,
        request_hash=hashlib.sha256(method_path.encode() + b"\n" + body).hexdigest(),
    )
