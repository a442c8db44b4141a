"""The test run's message as the member will read it: a coupon issued earlier on the path
is not really issued in a test, so its {{coupon.code}} is filled with a sample code."""

from __future__ import annotations

import secrets
from typing import Any

from sqlmodel import Session

from backoffice.models import Member, MessageTemplate
from backoffice.services.messaging.messages import fill, uses_wallet, variable_values

# The shape of a real code (services/loyalty/coupons): ten characters, no 0/O or 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def sample_coupon_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def preview_message(session: Session, config: Any, member: Member, coupon_code: str) -> str | None:
    """The send step's body for this member with the sample coupon code, or None when the
    node's template is gone (the step's own output then stands)."""
    template = session.get(MessageTemplate, getattr(config, "template_id", None) or 0)
    if template is None:
        return None
    mid = member.id or 0
    values = variable_values(
        session, [member], {mid: coupon_code}, wallet_needed=uses_wallet(template)
    )
    return fill(template.body, values[mid])
