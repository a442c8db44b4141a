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


# A key written out where the code translates it: tr("…"), self._tr("…"), t(lang, "…").
CALLED = re.compile(
    r"""\b(?:tr|_tr|t|mtr|error_text)\(\s*(?:[A-Za-z_.]+\s*,\s*)?["']([a-z_]+(?:\.[a-z0-9_]+)+)["']"""
)


def _families() -> dict[str, list[str]]:
    """Keys the code builds from data (f"perm.{p}"): every value of each source must be there."""
    from backoffice.models.coupons import CouponKind, CouponStatus
    from backoffice.models.loyalty import PointsKind, TierMetric
    from backoffice.models.members import Gender, MemberStatus
    from backoffice.models.messages import Channel, MessageStatus
    from backoffice.models.sales import SaleStatus
    from backoffice.models.wallet import WalletKind
    from backoffice.models.workflows import RunStatus, WorkflowStatus
    from backoffice.services.org.access import PERMISSIONS, SEED_ROLES
    from backoffice.workflows.conditions import MEMBER_FIELDS

    sources: dict[str, object] = {
        "perm": PERMISSIONS,
        "role": SEED_ROLES,
        "status": MemberStatus,
        "gender": Gender,
        "wallet": WalletKind,
        "message": MessageStatus,
        "channel": Channel,
        "sale": SaleStatus,
        "coupon": CouponStatus,
        "couponkind": CouponKind,
        "points": PointsKind,
        "metric": TierMetric,
        "wfstatus": WorkflowStatus,
        "runstatus": RunStatus,
        "mfield": MEMBER_FIELDS,
    }
    return {
        prefix: [f"{prefix}.{getattr(v, 'value', v)}" for v in values]  # type: ignore[attr-defined]
        for prefix, values in sources.items()
    }


def test_every_key_the_code_translates_is_in_the_catalog():
    used = {
        m.group(1)
        for path in ROOT.rglob("*.py")
        if "catalog" not in path.parts
        for m in CALLED.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 300, "the pattern no longer finds the calls"
    missing = sorted(used - set(CATALOG))
    assert not missing, f"keys without a translation: {missing}"


def test_every_permission_role_and_status_has_a_label():
    missing = [k for keys in _families().values() for k in keys if k not in CATALOG]
    assert not missing, f"keys without a translation: {missing}"


def test_every_permission_reads_as_a_sentence_in_both_languages():
    from backoffice.services.org.access import PERMISSIONS

    for perm in PERMISSIONS:
        zh, en = CATALOG[f"perm.{perm}"]
        assert zh.startswith("可以") and zh.endswith("。"), (perm, zh)
        assert en.startswith("Can ") and en.endswith("."), (perm, en)
