"""Sealed secrets: what the server must read back is kept encrypted with the server key."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from backoffice import sealed
from backoffice.settings import get_settings


@pytest.fixture
def key_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    get_settings.cache_clear()
    sealed._fernet.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    sealed._fernet.cache_clear()


def test_a_sealed_value_opens_again_and_does_not_show_the_plain_value(key_dir):
    stored = sealed.seal("JBSWY3DPEHPK3PXP")
    assert stored.startswith("v1:") and "JBSWY3DPEHPK3PXP" not in stored
    assert sealed.seal("JBSWY3DPEHPK3PXP") != stored  # a fresh IV each time
    assert sealed.unseal(stored) == "JBSWY3DPEHPK3PXP"


def test_without_secret_key_a_private_key_file_is_made_once_and_reused(key_dir):
    stored = sealed.seal("abc")
    key_file = key_dir / sealed.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    sealed._fernet.cache_clear()  # another process starting later
    assert sealed.unseal(stored) == "abc"
    assert key_file.read_bytes() == first
    assert [p.name for p in key_dir.iterdir()] == [sealed.KEY_FILE]  # no temp file left


def test_a_value_stored_before_sealing_passes_through(key_dir):
    assert not sealed.is_sealed("JBSWY3DPEHPK3PXP")
    assert sealed.unseal("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"


def test_another_key_cannot_open_it_and_says_why(key_dir, monkeypatch):
    stored = sealed.seal("abc")
    monkeypatch.setenv("SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with pytest.raises(sealed.KeyMismatch, match="SECRET_KEY"):
        sealed.unseal(stored)
    monkeypatch.setenv("SECRET_KEY", "not-a-key")
    get_settings.cache_clear()
    with pytest.raises(sealed.KeyMismatch, match="Fernet key"):
        sealed.seal("abc")
