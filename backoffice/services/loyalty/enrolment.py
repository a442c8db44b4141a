"""Joining the programme: a member registered at the desk, by the API or on the member portal
gets the sign-up points, and whoever referred them the referral points, in one transaction.

Members brought over from another system (CSV import) or the demo already have their
history, so they come in through `members.profiles.create_member` alone.
"""

from __future__ import annotations

from sqlmodel import Session

from backoffice.models import EarnRuleKind, Member, PointsKind
from backoffice.services.loyalty import points
from backoffice.services.loyalty.earn_rules import fixed_points
from backoffice.services.members.profiles import MemberInput, create_member
from backoffice.services.org.access import Actor


def enrol_member(
    session: Session, actor: Actor, data: MemberInput, *, source: str = "form"
) -> Member:
    """Register the member (create_member's rules, audit and event), then the welcome points."""
    member = create_member(session, actor, data, source=source)
    grant_welcome_points(session, member)
    return member


def grant_welcome_points(session: Session, member: Member) -> None:
    """The sign-up rule's points to the member and the referral rule's to their referrer."""
    signup = fixed_points(session, EarnRuleKind.SIGNUP, member.home_store_id)
    if signup:
        points.credit(
            session,
            member.id or 0,
            signup,
            PointsKind.EARN,
            cause_type="signup",
            cause_id=member.id,
            store_id=member.home_store_id,
        )
    if member.referrer_id is None:
        return
    bonus = fixed_points(session, EarnRuleKind.REFERRAL, member.home_store_id)
    if bonus:
        points.credit(
            session,
            member.referrer_id,
            bonus,
            PointsKind.EARN,
            cause_type="referral",
            cause_id=member.id,
            store_id=member.home_store_id,
        )
