"""Measuring and shortening text the way LINE counts it.

LINE counts most text in UTF-16 code units: 🙏 is two characters, a Thai letter one
("Character counting in a text", https://developers.line.biz/en/docs/messaging-api/text-character-count).
Action labels, a postback's ``displayText`` and a message action's ``text`` are counted in
grapheme clusters instead (same page). ``len()`` on a Python string counts code points, which is
neither, so every limit kmbot keeps is measured here.

Shortening never cuts inside a grapheme cluster (an emoji with its modifiers or ZWJ sequence, a
letter with its marks) nor inside a Thai character cluster (a leading vowel stays with its
consonant: "เก" is not cut after "เ"). Extended grapheme clusters come from the ``regex``
package's ``\\X`` (the standard library's ``re`` has no ``\\X``), Thai character clusters from
PyThaiNLP's TCC rules, which kmbot already uses for Thai search.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import regex

Unit = Literal["utf16", "grapheme"]

ELLIPSIS = "…"
_GRAPHEME = regex.compile(r"\X")
_THAI = regex.compile(r"[\u0E00-\u0E7F]")


def utf16_length(text: str) -> int:
    """How many UTF-16 code units LINE counts in ``text`` (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for character in text if ord(character) > 0xFFFF)


def grapheme_length(text: str) -> int:
    """How many user-perceived characters (extended grapheme clusters) ``text`` has."""
    return sum(1 for _ in _GRAPHEME.finditer(text))


def measure(text: str, unit: Unit = "utf16") -> int:
    return utf16_length(text) if unit == "utf16" else grapheme_length(text)


def fits(text: str, limit: int, unit: Unit = "utf16") -> bool:
    return measure(text, unit) <= limit


def shorten(text: str, limit: int, *, squeeze: bool = True, unit: Unit = "utf16") -> str:
    """``text`` within ``limit`` (UTF-16 units, or grapheme clusters with ``unit="grapheme"``),
    ending in "…" when it had to be cut; never cut inside an emoji or a Thai cluster.

    Runs of white space become one space (with ``squeeze=False`` only when the text is too long,
    so a short passage keeps its lines).
    """
    if limit <= 0:
        return ""
    if squeeze or not fits(text, limit, unit):
        text = " ".join(text.split())
    if fits(text, limit, unit):
        return text
    room = limit - measure(ELLIPSIS, unit)
    kept = _prefix_within(text, room, unit).rstrip()
    return kept + ELLIPSIS if kept else _prefix_within(text, limit, unit)


def _prefix_within(text: str, room: int, unit: Unit) -> str:
    """The longest prefix of whole clusters that fits in ``room``."""
    if room <= 0:
        return ""
    used = 0
    end = 0
    thai_ends = _thai_cluster_ends(text) if _THAI.search(text) else None
    best = 0
    for match in _GRAPHEME.finditer(text):
        cluster = match.group()
        used += utf16_length(cluster) if unit == "utf16" else 1
        if used > room:
            break
        end = match.end()
        if thai_ends is None or end in thai_ends or not _is_thai_boundary_sensitive(text, end):
            best = end
    return text[:best]


def _is_thai_boundary_sensitive(text: str, end: int) -> bool:
    """A cut at ``end`` matters to Thai clusters only when Thai letters are on both sides."""
    return 0 < end < len(text) and bool(_THAI.match(text[end - 1])) and bool(_THAI.match(text[end]))


def _thai_cluster_ends(text: str) -> frozenset[int]:
    return _cached_thai_cluster_ends(text) if len(text) <= 20_000 else frozenset(_tcc_ends(text))


@lru_cache(maxsize=256)
def _cached_thai_cluster_ends(text: str) -> frozenset[int]:
    return frozenset(_tcc_ends(text))


def _tcc_ends(text: str) -> set[int]:
    from pythainlp.tokenize import tcc

    return set(tcc.tcc_pos(text))
