"""`backoffice api-key create|list|revoke`: the same service as /settings/api-keys, as the
named staff member (never wider than them), audited as them, the token printed once."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

import backoffice.db
from backoffice import cli
from backoffice.models import ApiKey, AuditEntry
from backoffice.services.org.api_keys import authenticate


@pytest.fixture
def run(session: Session, engine, org, monkeypatch, capsys):  # noqa: ANN001, ANN201
    session.commit()
    session.close()
    monkeypatch.setattr(backoffice.db, "get_engine", lambda: engine)

    def call(*argv: str) -> tuple[int, str]:
        code = cli.main(list(argv))
        return code, capsys.readouterr().out

    return call


def test_create_prints_the_token_once_and_audits_as_the_person(run, session: Session, org):  # noqa: ANN001
    code, out = run(
        "api-key", "create", "--as", "owner", "--name", "SH till",
        "--permissions", "members.read,pii.view", "--stores", "sh01",
    )  # fmt: skip
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("bo_") and "shown once" in out
    key = session.exec(select(ApiKey).where(ApiKey.name == "SH till")).one()
    assert token not in key.secret_hash and key.store_ids == [org.stores["SH01"]]
    assert key.permissions == ["members.read", "pii.view"]
    found = authenticate(session, token)
    assert found is not None and found[1].store_ids == frozenset({org.stores["SH01"]})
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "api_keys.create")).one()
    assert entry.actor_id == org.actors["owner"].staff_id and entry.target_id == str(key.id)
    assert token not in str(entry.changes)
    session.close()  # SQLite: no transaction open while the command writes

    code, out = run("api-key", "list", "--as", "owner")
    assert code == 0 and key.prefix in out and token not in out

    code, out = run("api-key", "revoke", key.prefix, "--as-user", "owner")
    assert code == 0 and "revoked" in out
    assert authenticate(session, token) is None
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.target_type == "api_key"))
    assert sorted(actions.all()) == ["api_keys.create", "api_keys.revoke"]


def test_create_refuses_what_the_person_may_not_give(run, session: Session):  # noqa: ANN001
    # a franchise owner cannot give every store, nor a store outside their own
    code, out = run("api-key", "create", "--as", "owner", "--name", "x", "--permissions", "all")
    assert code == 2 and "store_ids" in out
    code, out = run(
        "api-key", "create", "--as", "owner", "--name", "x",
        "--permissions", "members.read", "--stores", "GZ01",
    )  # fmt: skip
    assert code == 2 and "store_ids" in out
    code, out = run(
        "api-key", "create", "--as", "reception", "--name", "x", "--permissions", "members.read"
    )
    assert code == 2  # reception may not manage API keys
    with pytest.raises(SystemExit):
        run("api-key", "create", "--name", "x", "--permissions", "members.read", "--stores", "ZZ9")
    with pytest.raises(SystemExit):
        run("api-key", "create", "--as", "nobody", "--name", "x", "--permissions", "members.read")
    code, out = run("api-key", "revoke", "bo_missing")
    assert code == 2
    assert session.exec(select(ApiKey)).all() == []
