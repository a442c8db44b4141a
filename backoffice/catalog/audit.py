"""UI strings: key → (Simplified Chinese, English)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {}
