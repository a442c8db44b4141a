"""The rules every message obeys, in one place: consent per channel, quiet hours in the
store's time, the marketing frequency cap and banned words. Each takes a set of members,
so a campaign batch and a single send ask the same questions with the same code."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from backoffice.models import Channel, MemberConsent, MessageStatus, OutboxMessage, Store
from backoffice.models.base import utcnow
from backoffice.services.batching import chunks
from backoffice.settings import get_settings


def banned_words() -> list[str]:
    return [w.strip() for w in get_settings().banned_words.split(",") if w.strip()]


def banned_in(*texts: str, words: list[str] | None = None) -> list[str]:
    """The banned words any of the texts contains (advertising law), in the configured order;
    a batch passes `words`, read once."""
    return [w for w in (banned_words() if words is None else words) if any(w in t for t in texts)]


def set_consent(session: Session, member_id: int, channel: Channel, granted: bool) -> None:
    row = session.get(MemberConsent, (member_id, channel))
    if row is None:
        row = MemberConsent(member_id=member_id, channel=channel, granted=granted)
    row.granted, row.updated_at = granted, utcnow()
    session.add(row)


def withdrawn_consent(session: Session, member_ids: Iterable[int], channel: Channel) -> set[int]:
    """Opt-out model: of these members, those who withdrew consent for the channel."""
    ids = list(member_ids)
    found: set[int] = set()
    for part in chunks(ids):
        found.update(
            session.exec(
                select(MemberConsent.member_id).where(
                    col(MemberConsent.member_id).in_(part),
                    MemberConsent.channel == channel,
                    col(MemberConsent.granted).is_(False),
                )
            ).all()
        )
    return found


def has_consent(session: Session, member_id: int, channel: Channel) -> bool:
    """Consent stands unless the member withdrew it for the channel."""
    return member_id not in withdrawn_consent(session, [member_id], channel)


def quiet_until_by_store(
    session: Session, store_ids: Iterable[int | None], now: datetime
) -> dict[int | None, datetime | None]:
    """Quiet hours asked once per store of a batch (members of one store share its clock):
    for each store, when sending may start if it is quiet there now, else None."""
    wanted = set(store_ids)
    zones = dict(
        session.exec(
            select(Store.id, Store.timezone).where(
                col(Store.id).in_([s for s in wanted if s is not None] or [-1])
            )
        ).all()
    )
    default = get_settings().default_timezone
    return {s: _quiet_until_in(ZoneInfo(zones.get(s) or default), now) for s in wanted}


def _quiet_until_in(zone: ZoneInfo, now: datetime) -> datetime | None:
    settings = get_settings()
    local = now.astimezone(zone)
    start, end = settings.quiet_start_hour, settings.quiet_end_hour
    quiet = (local.hour >= start or local.hour < end) if start > end else start <= local.hour < end
    if not quiet:
        return None
    resume = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    return resume


def marketing_counts(session: Session, member_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Marketing messages queued or sent to each member within the cap's window."""
    ids = list(member_ids)
    since = now - timedelta(days=get_settings().marketing_cap_days)
    counts: dict[int, int] = {}
    for part in chunks(ids):
        counts.update(
            session.exec(
                select(OutboxMessage.member_id, func.count())
                .where(
                    col(OutboxMessage.member_id).in_(part),
                    col(OutboxMessage.marketing).is_(True),
                    col(OutboxMessage.status).in_([MessageStatus.QUEUED, MessageStatus.SENT]),
                    OutboxMessage.created_at >= since,
                )
                .group_by(col(OutboxMessage.member_id))
            ).all()
        )
    return counts


def cap_reached(sent: int) -> bool:
    """A member who already got this many marketing messages in the window gets no more."""
    return sent >= get_settings().marketing_cap


def over_cap(session: Session, member_id: int, now: datetime) -> bool:
    return cap_reached(marketing_counts(session, [member_id], now).get(member_id, 0))
