"""The lock order of every ledger write, in one place: first the member's points account,
then their wallet account, and only then the shared rows (a store's daily figures, the
catalog's stock). Two tills that take them in another order deadlock on PostgreSQL: a
sale held the store's figures while waiting for the wallet a top-up held while waiting
for the figures."""

from __future__ import annotations

from sqlmodel import Session, select

from backoffice.models import PointsAccount, WalletAccount


def lock_member_accounts(session: Session, member_id: int) -> None:
    """Take the member's account rows (points, then wallet) before anything shared. On
    SQLite the transaction already holds the database's write lock."""
    session.exec(
        select(PointsAccount.member_id)
        .where(PointsAccount.member_id == member_id)
        .with_for_update()
    ).all()
    session.exec(
        select(WalletAccount.member_id)
        .where(WalletAccount.member_id == member_id)
        .with_for_update()
    ).all()
