"""Thai word segmentation for search: normalised, canonical words, no punctuation.

`tokenize` is what both the index and the questions go through, so a passage and a question
that say the same thing end up with the same words. The segmenter is PyThaiNLP's dictionary
engine "nlpo3" (a fast Rust build of newmm) when it is installed, else "newmm"; both run
offline. Their dictionary is PyThaiNLP's word list adjusted for this domain (`EXTRA_WORDS`,
`SPLIT_WORDS` below). Nothing is loaded at import; the dictionary loads on the first call.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from kb.normalize import LOANWORDS, canonical_token, canonicalize, normalize_text

__all__ = [
    "EXTRA_WORDS",
    "SPLIT_WORDS",
    "dictionary_words",
    "load_segmenter",
    "rejoin_wrapped_words",
    "segmenter_engine",
    "tokenize",
    "tokenize_normalized",
    "word_starts",
]

# --- configuration: the segmentation dictionary -------------------------------------------

# Words the dictionary lacks, so the segmenter cut them into meaningless pieces
# (ตัวชี้วัด → ตัว|ชี้|วัด, บอท → บอ|ท), and month abbreviations as written in plans.
EXTRA_WORDS: tuple[str, ...] = (
    "ตัวชี้วัด", "บอท", "แชตบอท", "แชทบอท", "ไลน์กลุ่ม", "แบบสำรวจ",
    "ผลสำเร็จ", "ชุมชนนักปฏิบัติ", "คลังความรู้", "องค์ความรู้", "ประชาสัมพันธ์",
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "มี.ย.", "ก.ค.", "ส.ค.", "ก.ย.",
    "ต.ค.", "พ.ย.", "ธ.ค.",
) + tuple(form for form in LOANWORDS if not form.isascii())

# Dictionary entries that glue a function word to a content word, so that a question and a
# passage written a little differently no longer share the content word ("ต้องหา" for
# ต้อง + หา, "ของกอง" for ของ + กอง, "ไหนคะ" segmented as ไห + นคะ). Without them the
# segmenter cuts these places into their parts.
SPLIT_WORDS: frozenset[str] = frozenset(
    {
        "ต้องหา", "ให้หา", "ได้ที่", "ได้ประโยชน์", "ไปหา", "เป็นการ", "ของกอง", "หมายตัว",
        "ที่อยู่", "นคะ", "นครับ", "ในการ", "ของการ", "ที่จะ", "ได้มา", "เป็นเรื่อง", "รูปคน", "มีหน้า",
        # Fragments the dictionary holds as words, so that common phrases lose their first
        # word: แล้วจะ as แล้ + วจะ, บอกว่า as บอ + กว่า, ทุกว่า as ทุ + กว่า.
        "แล้", "วจะ", "วหา", "บอ", "จา", "ออ", "อี", "ทุ",
        # รู้ + another word, which takes the รู้ of ความรู้ ("ความรู้เรื่อง…" as ความ + รู้เรื่อง).
        "รู้เรื่อง", "รู้งาน", "รู้กัน", "รู้อยู่", "รู้เห็น", "รู้คิด",
    }
)

# A chunk of only Latin letters and digits is one word already ("kmp5", "2567", "lpa");
# the Thai segmenter would split "kmp5" into "kmp" and "5".
_LATIN_WORD = re.compile(r"[a-z0-9]+")
# Characters trimmed from both ends of a segmented word: brackets, quotes, dashes, slashes.
_WORD_EDGE = "()[]{}<>\"'“”‘’«»,.;:!?/\\|-–—_*+=#@&^~`•·…ๆฯ"
# Thai signs that are words to a segmenter but carry no meaning for search.
_NOT_WORDS = frozenset({"ฯลฯ", "ฯ", "ๆ"})
# ฯลฯ ("and so on"), ฯ and ๆ separate words; the segmenter would cut ฯลฯ into ฯ, ล, ฯ.
_THAI_SIGNS = re.compile("ฯลฯ|[ฯๆ]")
# "ผู้รับผิดชอบ", "การประมวล" are single dictionary words; questions say "ใครรับผิดชอบ",
# "ประมวลความรู้". The agent prefix ผู้ and the nominaliser การ add nothing to search, so
# they are cut off (a light stemming). ความ is kept: ความรู้ is not รู้ (cutting it, with
# exceptions, was tried and lost more than it won).
_PREFIXES_CUT = ("ผู้", "การ")
_KEEP_WHOLE = frozenset({"การณ์"})
_DICTIONARY_NAME = "kmbot-search-words"
_lock = threading.Lock()


@lru_cache(maxsize=1)
def segmenter_engine() -> str:
    """The PyThaiNLP engine used: "nlpo3" when importable, else "newmm"."""
    try:
        import nlpo3  # noqa: F401
    except ImportError:
        return "newmm"
    return "nlpo3"


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """The segmenter's dictionary: PyThaiNLP's word list with `EXTRA_WORDS`, without `SPLIT_WORDS`."""
    from pythainlp.corpus import thai_words

    words = set(thai_words())
    words.difference_update(SPLIT_WORDS)
    words.update(EXTRA_WORDS)
    return frozenset(words)


def _dictionary_words() -> list[str]:
    return sorted(dictionary_words())


@lru_cache(maxsize=1)
def _segmenter() -> Callable[[str], list[str]]:
    with _lock:
        if segmenter_engine() == "nlpo3":
            import nlpo3

            # nlpo3 only loads dictionaries from a file. The file is kept (`_dictionary_file`), so
            # a process that starts does not read PyThaiNLP's word list, adjust it and sort it again.
            path, temporary = _dictionary_file()
            try:
                message, loaded = nlpo3.load_dict(str(path), _DICTIONARY_NAME)
            finally:
                if temporary:
                    os.remove(path)  # nlpo3 reads the file whole
            if not loaded and "already" not in message.lower():
                raise RuntimeError(f"cannot load the segmentation dictionary: {message}")
            return lambda text: nlpo3.segment(text, _DICTIONARY_NAME)

        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import dict_trie

        trie = dict_trie(_dictionary_words())
        return lambda text: word_tokenize(text, custom_dict=trie, engine="newmm", keep_whitespace=False)


def _dictionary_file() -> tuple[Path, bool]:
    """The segmenter's dictionary as a file of sorted words, one a line, and whether it is a
    temporary one to remove after reading.

    Kept in the user's cache folder (where the search index is kept, `KMBOT_INDEX_CACHE`) under a
    name made from what the words come from: the installed PyThaiNLP word list and this module's
    `EXTRA_WORDS` and `SPLIT_WORDS`. Another list or another version of PyThaiNLP gets another
    file, so the words segmented are always `dictionary_words()`. Only a file in a folder no one
    else may write to is read; otherwise, or when nothing can be written, a temporary file is used.
    """
    folder = _cache_folder()
    try:
        path = folder / f"segmenter-words-{_dictionary_source_digest()}.txt"
        if path.is_file() and _private(folder) and _private(path):
            return path, False
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if _private(folder):
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    file.write("\n".join(_dictionary_words()))
                os.replace(temporary, path)  # another process reads all of it or none
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            return path, False
    except OSError:
        pass
    handle, temporary = tempfile.mkstemp(prefix="kmbot-words-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write("\n".join(_dictionary_words()))
    return Path(temporary), True


def _cache_folder() -> Path:
    configured = os.environ.get("KMBOT_INDEX_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kmbot" / "search-index"


def _dictionary_source_digest() -> str:
    """What `dictionary_words()` is made from, without reading the word list: its file's size and
    time, PyThaiNLP's version, and the words added and removed here."""
    import pythainlp

    source = Path(pythainlp.__file__).resolve().parent / "corpus" / "words_th.txt"
    status = source.stat()
    digest = hashlib.sha256()
    for part in (getattr(pythainlp, "__version__", ""), str(source), status.st_size, status.st_mtime_ns,
                 sorted(EXTRA_WORDS), sorted(SPLIT_WORDS)):
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _private(path: Path) -> bool:
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _segment(chunk: str) -> list[str]:
    return _segmenter()(chunk)


def load_segmenter() -> None:
    """Load the segmenter's dictionary now rather than on the first text (a server does this
    before forking its workers, which then share it)."""
    _segmenter()


def word_starts(text: str) -> frozenset[int]:
    """The positions in `text` (no spaces) where the segmenter starts a word, and its end:
    a name found at any other position begins inside a word ("วัดผล" in ตัวชี้วัด|ผล)."""
    starts, position = {0}, 0
    for piece in _segment(text):
        position += len(piece)
        starts.add(position)
    return frozenset(starts)


def _is_thai_letter(character: str) -> bool:
    # Consonants, vowels and tone marks; not Thai digits, ฯ or ๆ, which a space may follow.
    return ("\u0e01" <= character <= "\u0e3a" or "\u0e40" <= character <= "\u0e4e") and character not in "ฯๆ"


def _space_splits_a_word(left: str, right: str) -> bool:
    """Whether the space between two chunks of Thai cuts a dictionary word in two.

    Either the last word of `left` and the first word of `right` make one dictionary word
    ("ส่วน" + "ราชการ"), or the segmenter, reading both chunks joined, finds a dictionary
    word across the place of the space ("หัวหน้าส่วน ราชการ" → หัวหน้า|ส่วนราชการ).
    """
    words = dictionary_words()
    left_words, right_words = _segment(left), _segment(right)
    if left_words and right_words and left_words[-1] + right_words[0] in words:
        return True
    position = 0
    for word in _segment(left + right):
        if position < len(left) < position + len(word):
            return word in words
        position += len(word)
        if position >= len(left):
            break
    return False


def rejoin_wrapped_words(text: str) -> str:
    """Remove the spaces a line wrap left inside Thai words ("หัวหน้าส่วน ราชการ").

    Text copied out of a PDF table keeps each cell's line breaks as spaces, wherever the
    line happened to end. Thai separates phrases, not words, with spaces, so a space between
    two Thai letters is only removed when it cuts a word the dictionary knows; a space at a
    word boundary ("ผลสำเร็จ ของงาน") stays, as it may be a real phrase break. Meant for
    table cells, where such wraps are common and sentences are short.
    """
    chunks = text.split(" ")
    if len(chunks) < 2:
        return text
    joined: list[str] = [chunks[0]]
    for chunk in chunks[1:]:
        left = joined[-1]
        if left and chunk and _is_thai_letter(left[-1]) and _is_thai_letter(chunk[0]) and _space_splits_a_word(left, chunk):
            joined[-1] = left + chunk
        else:
            joined.append(chunk)
    return " ".join(joined)


def _has_letter_or_digit(word: str) -> bool:
    return any(character.isalnum() for character in word)


def tokenize_normalized(text: str) -> list[str]:
    """Segment text that has already been through `normalize_text` and `canonicalize`."""
    words: list[str] = []
    for chunk in _THAI_SIGNS.sub(" ", text).split():
        if _LATIN_WORD.fullmatch(chunk):
            words.append(canonical_token(chunk))  # "committee" is คณะกรรมการ (ENGLISH_WORDS)
            continue
        for piece in _segment(chunk):
            word = piece.strip().strip(_WORD_EDGE)
            if not word or word in _NOT_WORDS or not _has_letter_or_digit(word):
                continue
            for prefix in _PREFIXES_CUT:
                if word.startswith(prefix) and len(word) > len(prefix) + 1 and word not in _KEEP_WHOLE:
                    word = word[len(prefix):]
                    break
            words.append(canonical_token(word))
    return words


def tokenize(text: str) -> list[str]:
    """Split `text` into normalised, canonical search words.

    Whitespace and punctuation are dropped; Latin words, numbers and step codes such as
    "kmp5" are kept whole; interchangeable terms come out as one canonical word.

    >>> tokenize("KMP ๕ ใครรับผิดชอบ?")
    ['kmp5', 'responsible']
    """
    return tokenize_normalized(canonicalize(normalize_text(text)))
