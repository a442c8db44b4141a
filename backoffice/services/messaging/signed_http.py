"""Outgoing HTTP calls signed with HMAC-SHA256: webhook deliveries and the workflow webhook step."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from backoffice.settings import get_settings


class WebhookFailed(Exception):
    """The receiver did not answer 2xx; the step retries, then shows this error."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code  # None when no answer came (timeout, refused)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_signed(url: str, payload: dict[str, Any], secret: str, idempotency_key: str) -> int:
    """POST JSON with `X-Signature: sha256=<hmac(timestamp.body)>` and a timestamp header."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Timestamp": timestamp,
        "X-Idempotency-Key": idempotency_key,
        "X-Signature": "sha256=" + signature(secret, timestamp, body),
    }
    try:
        response = httpx.post(
            url, content=body, headers=headers, timeout=get_settings().webhook_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise WebhookFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookFailed(
            f"HTTP {response.status_code}: {response.text[:200]}", response.status_code
        )
    return response.status_code
