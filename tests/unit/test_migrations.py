"""Upgrading a database that already holds data: SQLite batch migrations rebuild tables
that other rows point at (role ← staff, workflow ← runs), which must not trip the foreign
keys, and every row must come through."""

from __future__ import annotations

from sqlalchemy import text

from backoffice.db import make_engine
from backoffice.migrate import pending_revisions, upgrade

NOW = "2026-01-01 00:00:00.000000"


def _admin(conn) -> None:  # noqa: ANN001
    """One role and one staff member, in columns every revision has."""
    conn.execute(
        text(
            "INSERT INTO role (id, code, name, permissions, all_stores, created_at) "
            "VALUES (1, 'hq_admin', 'HQ admin', '[]', 1, :now)"
        ),
        {"now": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO staff (id, username, display_name, password_hash, role_id, locale,"
            " active, failed_logins, password_changed_at, must_change_password, created_at)"
            " VALUES (1, 'admin', 'Admin', 'x', 1, 'zh-CN', 1, 0, :now, 0, :now)"
        ),
        {"now": NOW},
    )


def test_a_populated_sqlite_database_upgrades_to_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0003_workflows")
    with engine.begin() as conn:
        _admin(conn)
        conn.execute(
            text(
                "INSERT INTO workflow (id, name, description, store_ids, status, draft,"
                " trigger_type, created_at, updated_at)"
                " VALUES (1, 'w', '', '[]', 'DRAFT', '{}', '', :now, :now)"
            ),
            {"now": NOW},
        )
    upgrade(engine)
    assert pending_revisions(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT role_id FROM staff")).scalar_one() == 1
        assert conn.execute(text("SELECT require_two_factor FROM role")).scalar_one() == 0
        assert conn.execute(text("SELECT goal_days FROM workflow")).scalar_one() == 7
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_plain_secrets_are_sealed_by_the_upgrade(tmp_path):
    from backoffice.sealed import is_sealed, unseal

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0009_reports_rfm_index")
    with engine.begin() as conn:
        _admin(conn)
        conn.execute(
            text(
                "INSERT INTO stafftotp (staff_id, secret, last_step, created_at)"
                " VALUES (1, 'JBSWY3DPEHPK3PXP', 0, :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO webhooksubscription (id, name, url, events, secret, active,"
                " consecutive_failures, disabled_reason, created_by, created_at)"
                " VALUES (1, 'pos', 'https://pos.example/hook', '[]', 'whsec_abc', 1, 0, '', 1,"
                " :now)"
            ),
            {"now": NOW},
        )
    upgrade(engine)
    with engine.connect() as conn:
        totp = conn.execute(text("SELECT secret FROM stafftotp")).scalar_one()
        hook = conn.execute(text("SELECT secret FROM webhooksubscription")).scalar_one()
    assert is_sealed(totp) and unseal(totp) == "JBSWY3DPEHPK3PXP"
    assert is_sealed(hook) and unseal(hook) == "whsec_abc"
    engine.dispose()
