"""A person's name as it is stored: one form for what looks the same, nothing invisible.

NFKC folds full-width and compatibility characters (`Ｌｉ` → `Li`), so a search finds what
the clerk typed. Zero-width characters and bidirectional controls are removed: a name of
zero-width spaces only would look empty yet be "filled", and a right-to-left override
makes a name display as something else than it is (Trojan Source, CVE-2021-42574).
"""

from __future__ import annotations

import unicodedata

# Zero-width and invisible formatting characters, and the bidi embeddings, overrides and
# isolates (U+202A-202E, U+2066-2069) with the directional marks.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)


def normalize_name(raw: str) -> str:
    """NFKC, invisible and control characters removed, runs of spaces collapsed, trimmed.
    An empty result means there was no visible name (the caller reports it as required)."""
    text = unicodedata.normalize("NFKC", raw or "")
    kept = (
        " " if ch.isspace() else ch
        for ch in text
        if ch not in INVISIBLE and unicodedata.category(ch) not in ("Cc", "Cf") or ch.isspace()
    )
    return " ".join("".join(kept).split())
