"""Every message key the code uses exists in the catalog, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from backoffice.catalog import CATALOG

ROOT = Path(__file__).resolve().parents[2] / "backoffice"
KEY = re.compile(r"""["'](error\.[a-z0-9_]+)["']""")


def test_every_error_key_raised_in_the_code_is_translated():
    used = {
        m.group(1)
        for path in ROOT.rglob("*.py")
        if "catalog" not in path.parts
        for m in KEY.finditer(path.read_text(encoding="utf-8"))
    }
    missing = sorted(used - set(CATALOG))
    assert not missing, f"keys without a translation: {missing}"


def test_every_entry_has_chinese_and_english():
    for key, (zh, en) in CATALOG.items():
        assert zh.strip() and en.strip(), key
