"""The code a member shows at another store's till: proof that the person is at the counter.

A member number alone is no proof (numbers are sequential) and a phone number can be known
to anyone. The portal's member card therefore shows a QR code carrying the member number and
a six-digit code that changes every five minutes: HMAC(server key, member id, time window),
so nothing is stored and nothing in the database lets anyone compute it. The scanner types
`M000123:482910` into the till; a member without the QR can read out the six digits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

from backoffice.models.base import utcnow
from backoffice.sealed import derived_key

WINDOW_SECONDS = 300
DIGITS = 6
_CARD = re.compile(r"^\s*([A-Za-z0-9]{1,20})[:.\s]+(\d{6})\s*$")
_CODE = re.compile(r"^\s*(\d{6})\s*$")


def _window(at: datetime) -> int:
    return int(at.timestamp()) // WINDOW_SECONDS


def _code(member_id: int, window: int) -> str:
    mac = hmac.new(derived_key("counter-code"), f"{member_id}:{window}".encode(), hashlib.sha256)
    return f"{int.from_bytes(mac.digest()[:8], 'big') % 10**DIGITS:0{DIGITS}d}"


def current_code(member_id: int, at: datetime | None = None) -> str:
    """The code the portal shows now."""
    return _code(member_id, _window(at or utcnow()))


def card_payload(member_no: str, member_id: int, at: datetime | None = None) -> str:
    """What the member card's QR code carries."""
    return f"{member_no}:{current_code(member_id, at)}"


def split_card(text: str) -> tuple[str, str] | None:
    """(member number, code) from a scanned card, or None when `text` is not one."""
    m = _CARD.match(text)
    return (m.group(1).upper(), m.group(2)) if m else None


def code_matches(
    member_id: int, member_no: str, presented: str, at: datetime | None = None
) -> bool:
    """A scanned card of this member, or its six digits, of this window or the one before."""
    card = split_card(presented)
    if card is not None:
        if card[0] != member_no.upper():
            return False
        digits = card[1]
    else:
        m = _CODE.match(presented)
        if m is None:
            return False
        digits = m.group(1)
    now = _window(at or utcnow())
    return any(hmac.compare_digest(_code(member_id, w), digits) for w in (now, now - 1))
