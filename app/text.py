"""Text as search compares it: "Informática" and "informatica" are the same word."""

from __future__ import annotations

import unicodedata
from decimal import Decimal


def fold(text: str | None) -> str:
    """Casefolded, compatibility-decomposed (NFKD) text without its combining marks:
    "Álvarez" -> "alvarez", "Straße" -> "strasse", "ﬁ" -> "fi". Search columns hold this, and
    a search folds its words the same way, so both databases compare it byte for byte."""
    if not text:
        return ""
    # Decompose before and after casefolding: "ℌ" decomposes to "H", which then folds to "h".
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def hours_text(hours: Decimal | int | None) -> str:
    """Hours as people write them: 2 -> "2", Decimal("1.50") -> "1.5", None -> ""."""
    if hours is None:
        return ""
    text = f"{Decimal(hours):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
