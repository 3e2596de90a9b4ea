"""Text measured and shortened as LINE counts it: UTF-16 units, never cutting an emoji or a Thai cluster."""

from __future__ import annotations

import regex
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import grapheme_length, shorten, utf16_length


def test_an_emoji_outside_the_basic_plane_counts_two_units_and_a_thai_letter_one() -> None:
    assert utf16_length("🙏📚") == 4
    assert utf16_length("ความรู้") == 7
    assert grapheme_length("👨‍👩‍👧") == 1
    assert grapheme_length("ก็") == 1


def test_a_long_text_of_emoji_is_cut_within_the_limit_in_utf16_units() -> None:
    cut = shorten("🙏" * 3000, 5000)
    assert utf16_length(cut) <= 5000
    assert cut.endswith("…") and "\ud83d" not in cut


def test_an_emoji_sequence_is_never_split() -> None:
    family = "👨‍👩‍👧"
    cut = shorten(family * 5, 12)
    assert cut.removesuffix("…") == family


def test_a_thai_leading_vowel_stays_with_its_consonant() -> None:
    # "เกร็ด" is one Thai character cluster: never "เ…" nor "เกร…".
    assert shorten("เกร็ดความรู้", 4) == "…" or not shorten("เกร็ดความรู้", 4).removesuffix("…").endswith(("เ", "ร"))
    assert shorten("เกร็ดความรู้", 6) == "เกร็ด…"


_PIECES = list("กขคเแโใไะาำิีึืุู่้๊๋็์ั ") + ["🙏", "📚", "👍🏽", "a", "\n"]
_THAI_OR_EMOJI = st.lists(st.sampled_from(_PIECES), max_size=300).map("".join)


@given(_THAI_OR_EMOJI, st.integers(min_value=1, max_value=300), st.booleans())
def test_shortened_text_fits_and_is_whole_clusters(text: str, limit: int, squeeze: bool) -> None:
    cut = shorten(text, limit, squeeze=squeeze)
    assert utf16_length(cut) <= limit
    if cut == text or not cut.endswith("…"):
        return
    kept = cut[:-1].rstrip()
    source = " ".join(text.split())
    clusters = regex.findall(r"\X", source)
    kept_clusters = regex.findall(r"\X", kept)
    # What is kept is the first whole grapheme clusters of the text, none of them cut.
    assert clusters[: len(kept_clusters)] == kept_clusters


@given(st.text(max_size=200), st.integers(min_value=1, max_value=50))
def test_grapheme_shortening_fits_in_grapheme_clusters(text: str, limit: int) -> None:
    assert grapheme_length(shorten(text, limit, unit="grapheme")) <= limit
