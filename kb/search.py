"""In-memory Thai search over knowledge passages, with a confidence that can say "I don't know".

How a question is answered:

1. `normalize_query` + `tokenize`: the same normalisation, canonical terms and word
   segmentation as the passages went through (kb.normalize, kb.tokenizer). Words that only
   say how something is asked (`NON_CONTENT_WORDS`: ไหม, อะไร, ครับ ...) are dropped.
2. BM25 (the `bm25s` library builds the index) over one document per passage: its text,
   its heading path, and its article's title, aliases, sample questions and tags, each
   repeated by its `FieldWeights` so a word in a title counts more than one deep in a
   paragraph.
3. Reranking of the best candidates: by how well their step and plan codes (kmp5, plan2)
   match the question's, and softly by how many of the question's words they contain.
4. A confidence in [0, 1] for each hit, from a small logistic model over signals that
   separate real questions from weather, lottery and small talk (`SearchHit.signals`).
   `ANSWER_THRESHOLD` turns it into answer or polite fallback.

Nothing is built at import; `SearchIndex.build` does the work. An index is immutable, so one
index serves many threads. Segmenting the text is most of a build's cost; a `TokenCache`
passed to `build` keeps each text's words, so rebuilding after an edit only segments the
texts that changed.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from kb.normalize import canonical_token, canonicalize, fold_thai, normalize_query, normalize_text, written_forms
from kb.tokenizer import dictionary_words, tokenize

__all__ = [
    "ANSWER_THRESHOLD",
    "DEFAULT_FIELD_WEIGHTS",
    "FieldWeights",
    "IndexEntry",
    "NON_CONTENT_WORDS",
    "SearchAnswer",
    "SearchHit",
    "SearchIndex",
    "TokenCache",
    "confidence_from_signals",
    "question_words",
    "related_questions",
]

# --- calibrated constants -------------------------------------------------------------------
#
# confidence = 1 / (1 + exp(-(CONFIDENCE_BIAS + Σ weight × signal))): the estimated chance that
# the passage shown answers the question, judged from the best hit. Fitted with
# `python tests/eval/evaluate.py --fit` (logistic regression, L2 0.1, Newton's method) on the
# development set only (tests/eval/dev.yaml); the held-out set is never used to fit. Signals:
# coverage (IDF-weighted share of the question's words the passage has, with its article's
# fields), own_coverage (the same share in the passage's own text and headings), unknown (the
# share of the question's words the store has never seen) and fact_missing (1 when the question
# asks when, how many or who and the passage shows no date, number or person). `missing` (the
# weightiest word the passage lacks), relative score and margin were fitted too and added
# nothing once the others were in; they are reported in `signals`. The threshold was chosen on the dev set to cut
# out-of-domain answers without losing right ones (docs/search.md).
CONFIDENCE_BIAS = -2.726
CONFIDENCE_WEIGHTS: dict[str, float] = {"coverage": 3.063, "unknown": -4.215, "own_coverage": 1.891, "fact_missing": -1.722}
ANSWER_THRESHOLD = 0.35

# BM25 parameters (Lucene variant).
BM25_K1 = 1.2
BM25_B = 0.75

# How many passages are reranked and scored in full per question.
_CANDIDATES = 50
# Reranking strengths (0 turns a factor off); chosen on the evaluation set, docs/search.md.
COVERAGE_EXPONENT = 0.5
IDENTIFIER_EXPONENT = 2.0
_IDENTIFIER = re.compile(r"(?:plan|kmp|cmp)[0-9]")
# Words that ask what something is, and that say it: "คืออะไร", "หมายถึง", "ย่อมาจาก".
_DEFINITION = re.compile(r"คือ|หมายถึง|หมายความ|ความหมาย|แปลว่า|ย่อมาจาก|ย่อว่า")
# … and words that ask what an abbreviation stands for ("CMP ย่อมาจากอะไร", "ตัวย่อ KM").
_ABBREVIATION_ASKED = re.compile(r"ย่อ")
# An abbreviation as staff type it: two to six Latin letters ("KM", "cmp", "LPA").
_ABBREVIATION = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,6}(?![A-Za-z])")
DEFINITION_BOOST = 2.0
DEFINITION_WINDOW = 25  # characters between a term and the word that defines it
# Words that ask for a list or a count: "มีอะไรบ้าง", "กี่ขั้น", "ได้แก่อะไร".
_LIST_ASKED = re.compile(r"บ้าง|บาง|มั่ง|กี่|ได้แก่|ไรมั่ง")
# … and words that ask how to do something ("วัดผลยังไง", "ทำไงดี"): the how is told in steps.
_HOW_ASKED = re.compile(r"ยังไง|อย่างไร|ทำไง|วิธี")
# A list: lines that start with a number ("1.", "๒)") or a bullet.
_LIST_ITEM = re.compile(r"(?:^|\n)[ \t]*(?:[-•*]|[0-9๐-๙]{1,2}[.)])\s*\S")
LIST_BOOST = 2.0
LIST_ITEMS = 3  # items that make a passage a list
# The kind of fact a question asks for, and what a passage holding it shows: "เดือนไหน" is
# answered by a passage with a month or a year, "กี่คน" by one with a number.
_ASKS_WHEN = re.compile(r"เมื่อไหร่|เมื่อไร|เมื่อใด|ตอนไหน|ช่วงไหน|เดือนไหน|ปีไหน|วันไหน|วันที่เท่า|กี่โมง")
_HAS_WHEN = re.compile(
    r"[0-9๐-๙]|มกรา|กุมภา|มีนา|เมษา|พฤษภา|มิถุนา|กรกฎา|สิงหา|กันยา|ตุลา|พฤศจิกา|ธันวา"
    r"|ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\."
    r"|ทุกปี|ทุกเดือน|ต้นปี|สิ้นปี|ปลายปี|ไตรมาส"
)
_ASKS_WHO = re.compile(r"ใคร|หน่วยงานไหน|ฝ่ายไหน|กองไหน")
_HAS_WHO = re.compile(
    r"นาย|นาง|หัวหน้า|ผู้อำนวยการ|ผู้บริหาร|ผู้รับผิดชอบ|คณะ|ฝ่าย|กอง|สำนัก|ส่วนราชการ|หน่วยงาน"
    r"|เจ้าหน้าที่|บุคลากร|พนักงาน|ข้าราชการ|ทีม|กรรมการ|ผู้ประเมิน|ผู้เข้าร่วม|ทุกคน"
)
_ASKS_COUNT = re.compile(r"กี่|เท่าไหร่|เท่าไร|จำนวนเท่า")
_HAS_COUNT = re.compile(r"[0-9๐-๙]|หนึ่ง|สอง|สาม|สี่|ห้า|หก|เจ็ด|แปด|เก้า|สิบ|ร้อย|พัน|ทุก")

# Words that say *how* something is asked, not *what* is asked: question words, particles,
# pronouns, greetings and thanks, in standard and chat spelling. They are left out of the
# query: documents rarely contain them, so BM25 would treat "ไหม" as a rare, decisive word
# and an in-domain question would look out of domain. A message made only of them
# ("สวัสดีครับ", "ขอบคุณนะ") finds nothing, so small talk is never answered with a passage.
NON_CONTENT_WORDS: frozenset[str] = frozenset(
    {
        # question words
        "ไหม", "มั้ย", "มั๊ย", "ไม๊", "ม้าย", "ป่าว", "เปล่า", "หรือเปล่า", "หรือไม่", "รึเปล่า",
        "รึป่าว", "ป่ะ", "ปะ", "อะไร", "ไร", "อย่างไร", "ยังไง", "ยังงัย", "งัย", "ไง", "เป็นไง",
        "ทำไม", "ใคร", "ที่ไหน", "ไหน", "ตรงไหน", "แบบไหน", "ไหนบ้าง", "เมื่อไร", "เมื่อไหร่",
        "ตอนไหน", "กี่", "เท่าไร", "เท่าไหร่", "บ้าง", "คือ", "หมายถึง", "แปลว่า", "ใช่",
        "ใช่ไหม", "หรือ", "เหรอ", "หรอ", "แปล", "เท่าใด", "เมื่อใด", "ที่ใด", "เพียงใด", "หรือยัง",
        "รึ", "แค่", "สุด", "ถ้า", "หาก",
        # English function words in a mixed question ("process and tools")
        "and", "or", "the", "of", "for", "to", "in", "on", "a", "an", "is", "are", "what", "how",
        "when", "who", "where", "which", "why", "with", "about", "please",
        # function words as chat spells them
        "เปน", "อยุ่", "มัย", "รึป่าว",
        # particles and fillers
        "ครับ", "คับ", "ครับผม", "ค่ะ", "คะ", "ค่า", "จ้ะ", "จ้า", "จ๊ะ", "นะ", "น่ะ", "นะคะ",
        "นะครับ", "อ่ะ", "อะ", "ละ", "ล่ะ", "ฮะ", "เนอะ", "มั้ง", "เลย", "จัง", "มาก", "ดี",
        "หน่อย", "ด้วย", "เถอะ", "ซิ", "สิ", "แหละ", "เนี่ย", "คร้าบ", "ค้า",
        # asking, wanting, knowing or having forgotten ("ลืมละ"), pronouns
        "ช่วย", "ขอ", "ถาม", "สอบถาม", "อยาก", "ทราบ", "รู้", "ลืม", "บอก", "เอา", "มัน", "เรา", "ผม",
        "ดิฉัน", "หนู", "เค้า", "เขา", "ท่าน", "คุณ", "พี่", "น้อง", "ทุกคน", "ยัง",
        # how a person frames a question: being unsure or lost, asking for all of it or
        # briefly, "what does it mean", "how is it related" ("งงค่ะ", "ไล่ให้ครบหน่อย",
        # "หมายความว่าอย่างไร", "เกี่ยวอะไรกับ KM", "ตั้งแต่ต้นจนจบ")
        "งง", "สงสัย", "อยากรู้", "รบกวน", "ไล่", "คร่าวๆ", "สั้นๆ", "ง่ายๆ", "นิดนึง", "หน่อยนึง",
        "หมายความว่า", "หมายความ", "ความหมาย", "เกี่ยว", "ยังมี", "นี่", "งี้", "แบบนี้",
        "แต่ต้นจนจบ", "ตั้งแต่ต้นจนจบ", "ต้นจนจบ", "ทั้งหมดเลย", "จริงๆ", "เยอะ",
        # greetings and thanks
        "สวัสดี", "ขอบคุณ", "ขอบใจ", "ขอโทษ",
        # function words
        "ที่", "การ", "ความ", "ของ", "และ", "ใน", "ได้", "มี", "เป็น", "ให้", "จะ", "ต้อง", "ไป",
        "มา", "กับ", "แล้ว", "นี้", "นั้น", "ก็", "แต่", "ว่า", "ไว้", "อยู่", "โดย", "จาก", "ทำ", "ถึง",
    }
)


@dataclass(frozen=True)
class FieldWeights:
    """How many times each field is repeated in a passage's BM25 document.

    Repetition is the classic approximation of BM25F: a word in the title counts as if it
    occurred twice, but BM25's saturation keeps one word from winning alone. Measured on
    the evaluation set against a second, article-level index fused into the score: see
    docs/search.md.
    """

    text: int = 1
    heading_path: int = 2
    title: int = 2
    aliases: int = 2
    sample_questions: int = 2
    tags: int = 2


DEFAULT_FIELD_WEIGHTS = FieldWeights()


@dataclass(frozen=True)
class IndexEntry:
    """One searchable passage and the article facts that help find it."""

    passage_id: int
    article_id: int
    article_key: str
    title: str
    heading_path: tuple[str, ...] = ()
    text: str = ""
    aliases: tuple[str, ...] = ()
    sample_questions: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """A passage found for a question; `confidence` estimates that it answers it.

    `signals` are the inputs of the confidence model, kept for evaluation and debugging:

    * coverage: the share of the question's content words, weighted by IDF, that the passage
      (with its headings and article fields) contains. A word the store has never seen
      weighs most, so "หวยงวดนี้ออกอะไร" covers little even though "ออก" occurs somewhere;
    * relative_score: the passage's BM25 score over the sum of the best scores each of the
      question's words reaches in any passage;
    * margin: the lead of the hit's (reranked) score over the best passage of another
      article, as a share of its score.
    """

    entry: IndexEntry
    score: float
    confidence: float
    signals: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class SearchAnswer:
    """The decision for one question: answer with `hits[0]`, or fall back politely."""

    answered: bool
    confidence: float
    hits: tuple[SearchHit, ...] = ()

    @property
    def best(self) -> SearchHit | None:
        return self.hits[0] if self.hits else None


def confidence_from_signals(signals: dict[str, float]) -> float:
    """The calibrated confidence for a hit's signals (see the constants at the top)."""
    z = CONFIDENCE_BIAS + sum(weight * signals.get(name, 0.0) for name, weight in CONFIDENCE_WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


class TokenCache:
    """The search words of every text the last build read, kept between builds.

    Keyed by the text itself: an unchanged passage hits however its id or position moved,
    an edited one misses and is segmented again, and two passages with the same text share
    one entry. Each build keeps only the texts it used, so deleted passages do not pile up
    and the cache never holds more than one store's worth of words. Segmentation depends
    only on the text and this process's dictionary, so entries never go stale.
    """

    def __init__(self) -> None:
        self._words: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.last_hits = 0
        self.last_misses = 0

    def __len__(self) -> int:
        return len(self._words)

    def __contains__(self, text: object) -> bool:
        return text in self._words

    def _snapshot(self) -> dict[str, tuple[str, ...]]:
        with self._lock:
            return self._words

    def _replace(self, words: dict[str, tuple[str, ...]], hits: int, misses: int) -> None:
        with self._lock:
            self._words = words
            self.last_hits, self.last_misses = hits, misses


class _Segmenter:
    """`tokenize` with memory: within one build, and across builds through a TokenCache."""

    def __init__(self, cache: TokenCache | None) -> None:
        self._cache = cache
        self._known = cache._snapshot() if cache is not None else {}
        self._used: dict[str, tuple[str, ...]] = {}
        self._hits = 0

    def __call__(self, text: str) -> tuple[str, ...]:
        words = self._used.get(text)
        if words is None:
            words = self._known.get(text)
            if words is None:
                # Interned: the same few thousand words recur across all passages.
                words = tuple(sys.intern(word) for word in tokenize(text))
            else:
                self._hits += 1
            self._used[text] = words
        return words

    def commit(self) -> None:
        if self._cache is not None:
            self._cache._replace(self._used, self._hits, len(self._used) - self._hits)


class _Bm25Matrix:
    """A bm25s index kept as its column-compressed score matrix, plus word statistics."""

    def __init__(self, documents: list[list[str]]) -> None:
        count = len(documents)
        if count and any(documents):
            import bm25s

            # bm25s sets its own logger to DEBUG when imported; staff questions must not
            # reach the logs through it.
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            model = bm25s.BM25(k1=BM25_K1, b=BM25_B, method="lucene")
            model.index(documents, show_progress=False)
            self.vocabulary: dict[str, int] = dict(model.vocab_dict)
            # For word w, the documents that contain it are indices[indptr[w]:indptr[w + 1]],
            # with their BM25 scores for w in `data` (bm25s' eager score matrix).
            self.data: np.ndarray = model.scores["data"]
            self.indices: np.ndarray = model.scores["indices"]
            self.indptr: np.ndarray = model.scores["indptr"]
        else:
            self.vocabulary = {}
            self.data = np.zeros(0, dtype=np.float32)
            self.indices = np.zeros(0, dtype=np.int32)
            self.indptr = np.zeros(1, dtype=np.int64)
        self.count = count
        steps = np.diff(self.indices.astype(np.int64))
        crossing = np.zeros(len(steps), dtype=bool)
        starts = self.indptr[1:-1]
        crossing[starts[(starts > 0) & (starts <= len(steps))] - 1] = True
        self._sorted_columns = bool(np.all((steps > 0) | crossing))
        document_frequency = np.diff(self.indptr).astype(np.float64)
        self.idf = np.log1p((count - document_frequency + 0.5) / (document_frequency + 0.5))
        # The best score each word reaches in any document: the ceiling for a question.
        self.best_word_score = np.zeros(len(document_frequency), dtype=np.float64)
        nonempty = document_frequency > 0
        if nonempty.any():
            # Empty columns take no room in `data`, so the segments between the starts of
            # the non-empty columns are exactly those columns.
            self.best_word_score[nonempty] = np.maximum.reduceat(self.data, self.indptr[:-1][nonempty])

    def postings(self, word_id: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[word_id], self.indptr[word_id + 1]
        return self.indices[start:end], self.data[start:end]

    def scores(self, word_ids: Sequence[int]) -> np.ndarray:
        scores = np.zeros(self.count, dtype=np.float32)
        for word_id in word_ids:
            rows, values = self.postings(word_id)
            # Within one word's column every document appears once, so plain fancy-index
            # addition is exact (and much faster than np.add.at).
            scores[rows] += values
        return scores

    def contains(self, word_id: int | None, rows: np.ndarray) -> np.ndarray:
        """For each of `rows`, whether its document contains the word."""
        if word_id is None:
            return np.zeros(len(rows), dtype=bool)
        postings, _ = self.postings(word_id)
        if not self._sorted_columns:
            return np.isin(rows, postings)
        # A column's documents are in increasing order: a binary search per row is much
        # cheaper than np.isin for the few rows asked about against a long column.
        positions = np.searchsorted(postings, rows)
        found = positions < len(postings)
        found[found] = postings[positions[found]] == rows[found]
        return found


class SearchIndex:
    """An immutable BM25 index over passages; build it with `SearchIndex.build`."""

    def __init__(self, entries: tuple[IndexEntry, ...], matrix: _Bm25Matrix, passages: _Bm25Matrix | None = None) -> None:
        self._entries = entries
        self._matrix = matrix
        # The passages' own words (text, headings, the sample questions each answers), without
        # the article's fields: which passage of the chosen article answers (answer units).
        self._passages = passages or matrix
        self._article_keys = np.array([entry.article_key for entry in entries], dtype=object)
        self._row_of_passage = {entry.passage_id: row for row, entry in enumerate(entries)}
        # Which passages are lists, found once here rather than for every list question.
        self._is_list = np.array([_is_list(entry.text) for entry in entries], dtype=bool)
        self._identifier_words = [
            (word, word_id) for word, word_id in matrix.vocabulary.items() if _IDENTIFIER.fullmatch(word)
        ]
        # A word no passage contains weighs most: it is what makes "หวยออกอะไร" foreign.
        self._unknown_idf = math.log1p((max(len(entries), 1) + 0.5) / 0.5)
        # How often the store uses each word (low IDF = often): of two spellings that fold
        # alike, the more used is meant. bm25s may list a word id past the matrix's columns.
        frequency = {word: -float(matrix.idf[word_id]) for word, word_id in matrix.vocabulary.items() if word_id < len(matrix.idf)}
        self._speller = Speller(matrix.vocabulary, written_forms(), frequency)

    # -- building ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Iterable[IndexEntry],
        field_weights: FieldWeights = DEFAULT_FIELD_WEIGHTS,
        *,
        token_cache: TokenCache | None = None,
    ) -> SearchIndex:
        """Tokenise every passage with its article's fields and build the BM25 index.

        With a `token_cache`, texts segmented by an earlier build are not segmented again,
        and the cache then holds exactly the texts of this build.
        """
        entries = tuple(entries)
        segment = _Segmenter(token_cache)
        # Article fields are the same for every passage of an article, and passages of one
        # section share their heading path: assemble each once.
        article_words: dict[tuple, list[str]] = {}
        heading_words: dict[tuple[str, ...], list[str]] = {}
        documents: list[list[str]] = []
        passage_documents: list[list[str]] = []
        for entry in entries:
            key = (entry.article_id, entry.title, entry.aliases, entry.sample_questions, entry.tags)
            words = article_words.get(key)
            if words is None:
                words = article_words[key] = _article_words(entry, field_weights, segment)
            headings = heading_words.get(entry.heading_path)
            if headings is None:
                # Each heading word once: a long table caption above forty rows should say
                # what the rows are about, not make every row a long document.
                headings = heading_words[entry.heading_path] = list(
                    dict.fromkeys(word for heading in entry.heading_path for word in segment(heading))
                )
            own = list(segment(entry.text)) * field_weights.text + headings * field_weights.heading_path
            documents.append(own + words)
            passage_documents.append(own)
        matrix = _Bm25Matrix(documents)
        _assign_sample_questions(entries, passage_documents, segment, matrix)
        index = cls(entries, matrix, _Bm25Matrix(passage_documents))
        segment.commit()
        return index

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def entries(self) -> tuple[IndexEntry, ...]:
        return self._entries

    # -- searching -----------------------------------------------------------------------

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """The best passages for `query`, each with its confidence: first the passage of the
        best-scoring article that itself answers (see `_answering_passage`), then by score."""
        if limit <= 0 or not self._entries:
            return []
        words = self.query_words(query)
        word_ids = [self._matrix.vocabulary.get(word) for word in words]
        known = [word_id for word_id in word_ids if word_id is not None]
        if not known:
            return []
        scores = self._matrix.scores(known)
        candidates = _top_indices(scores, max(limit, _CANDIDATES))
        if len(candidates) == 0:
            return []
        weights = np.array(
            [self._matrix.idf[word_id] if word_id is not None else self._unknown_idf for word_id in word_ids]
        )
        present = np.array([self._matrix.contains(word_id, candidates) for word_id in word_ids])
        coverage = (weights @ present) / weights.sum()
        # The weightiest word a passage lacks: a near miss ("ลาพักร้อนได้กี่วัน") shares the
        # common words with the store and lacks the one that says what is asked.
        missing = np.max(weights[:, None] * ~present, axis=0) / self._unknown_idf

        ranked = scores[candidates].astype(np.float64)
        identifiers = [word for word in words if _IDENTIFIER.fullmatch(word)]
        if identifiers and IDENTIFIER_EXPONENT:
            # A question naming "plan 2, KMP 5" is answered by the passage about exactly that
            # (the plan-table row), not by one that lists every step of both plans (a
            # calendar) nor by one about KMP 5 in general: weigh each candidate by the
            # Jaccard similarity of its step and plan codes to the question's.
            families = _open_step_families(words, identifiers)
            ranked *= self._identifier_similarity(identifiers, candidates, families) ** IDENTIFIER_EXPONENT
        if COVERAGE_EXPONENT:
            # Soft AND: a passage with all the question's words beats one with a few of them
            # many times.
            ranked *= coverage**COVERAGE_EXPONENT
        order = np.lexsort((candidates, -ranked))
        candidates, ranked, coverage, missing = candidates[order], ranked[order], coverage[order], missing[order]

        first = self._answering_passage(
            candidates, words, definition_asked=bool(_DEFINITION.search(query)), list_asked=_asks_list(query),
            abbreviations=_ABBREVIATION.findall(query) if _ABBREVIATION_ASKED.search(query) else (),
        )
        if first:
            order = np.r_[first, np.delete(np.arange(len(candidates)), first)]
            candidates, ranked, coverage, missing = candidates[order], ranked[order], coverage[order], missing[order]
        best_possible = float(sum(self._matrix.best_word_score[word_id] for word_id in known))
        unknown_share = 1.0 - len(known) / len(word_ids)
        own_coverage = self._own_coverage(candidates[:limit], words)
        asked_kinds = _asked_fact_kinds(query)
        hits = []
        for position in range(min(limit, len(candidates))):
            row = candidates[position]
            score = float(ranked[position])
            other = _best_other_article_score(self._article_keys[candidates], ranked, position)
            signals = {
                "coverage": float(coverage[position]),
                "own_coverage": float(own_coverage[position]),
                "fact_missing": _fact_missing(asked_kinds, self._entries[row]),
                "missing": float(missing[position]),
                "unknown": unknown_share,
                "relative_score": min(1.0, float(scores[row]) / best_possible) if best_possible else 0.0,
                "margin": (score - other) / score if score > 0 else 0.0,
            }
            hits.append(
                SearchHit(entry=self._entries[row], score=score, confidence=confidence_from_signals(signals), signals=signals)
            )
        return hits

    def _answering_passage(
        self, candidates: np.ndarray, words: list[str], *, definition_asked: bool = False, list_asked: bool = False,
        abbreviations: Sequence[str] = (),
    ) -> int:
        """The position among `candidates` of the best article's passage that itself answers
        (by its own words, not its article's); 0 when that is the first one already.

        Every passage of an article shares the article's title, aliases and tags, so the
        article-level ranking finds the right article but favours its shortest passages.
        Within that article its candidate passages are ranked by their own words and coverage.
        """
        rows = np.flatnonzero(self._article_keys[candidates] == self._article_keys[candidates[0]])
        word_ids = [self._passages.vocabulary.get(word) for word in words]
        known = [word_id for word_id in word_ids if word_id is not None]
        if len(rows) < 2:
            return 0
        passages = candidates[rows]
        if not known or not self._passages.scores(known)[passages].any():
            # The article was found by its title alone ("KMP4 ทำอะไรบ้าง"): no passage says
            # more than another, so a question asking for a list is shown the article's first list.
            lists = np.flatnonzero(self._is_list[passages]) if list_asked else np.array([], dtype=int)
            return int(rows[lists[np.argmin(passages[lists])]]) if len(lists) else 0
        scores = self._passages.scores(known)[passages].astype(np.float64)
        weights = np.array([self._passages.idf[word_id] if word_id is not None else self._unknown_idf for word_id in word_ids])
        present = np.array([self._passages.contains(word_id, passages) for word_id in word_ids])
        ranked = scores * ((weights @ present) / weights.sum()) ** COVERAGE_EXPONENT
        if definition_asked:
            # "X คืออะไร" is answered by the passage that says what X is.
            ranked *= [DEFINITION_BOOST if _defines(self._entries[row].text, words) else 1.0 for row in passages]
        if abbreviations:
            # "ตัวย่อ KM มาจากอะไร" is answered by a passage that writes the letters out (a
            # glossary line too, which never says "ย่อมาจาก"), when the article has one.
            spelt_out = np.array([_spells_out(self._entries[row].text, abbreviations) for row in passages])
            if spelt_out.any():
                ranked *= spelt_out
        if list_asked:
            # "… มีอะไรบ้าง" is answered by the list, not by the paragraph that introduces it.
            ranked *= np.where(self._is_list[passages], LIST_BOOST, 1.0)
        best = int(np.lexsort((passages, -ranked))[0])  # of equals, the earlier passage
        return int(rows[best]) if ranked[best] > 0 else 0

    def _own_coverage(self, rows: np.ndarray, words: list[str]) -> np.ndarray:
        """For each of `rows`, the IDF-weighted share of the question's words in the passage's
        own text and headings: what the passage shown says, not what its article's title does."""
        word_ids = [self._passages.vocabulary.get(word) for word in words]
        weights = np.array([self._passages.idf[word_id] if word_id is not None else self._unknown_idf for word_id in word_ids])
        present = np.array([self._passages.contains(word_id, rows) for word_id in word_ids])
        return (weights @ present) / weights.sum()

    def following(self, entry: IndexEntry) -> IndexEntry | None:
        """The passage after `entry` in its article, if any (passages are indexed in order)."""
        row = self._row_of_passage.get(entry.passage_id)
        if row is None or row + 1 >= len(self._entries):
            return None
        after = self._entries[row + 1]
        return after if after.article_id == entry.article_id else None

    def query_words(self, query: str) -> list[str]:
        """The question's content words, with misspelt words put right against the store's words."""
        return _content_words(self._read(query)[0])

    def repaired_question(self, query: str) -> str | None:
        """The question with its misspelt words put right, or None when nothing was misspelt."""
        return self._read(query)[1]

    def _read(self, query: str) -> tuple[list[str], str | None]:
        """The question's words, and its repaired text when a word was misspelt.

        The repaired words are read again as a question, so a phrase the canonical terms know
        ("ความรู้ที่ฝังอยู่ในคน", tacit) is recognised once its words are spelt right. The
        question is segmented once, or twice when a word was put right.
        """
        tokens = tokenize(normalize_query(query))
        repaired = self._speller.repair(tokens)
        if repaired == tokens:
            return tokens, None
        text = _joined(repaired)
        return tokenize(normalize_query(text)), text

    def answer(self, query: str, limit: int = 5) -> SearchAnswer:
        """Answer with the best passage if its confidence reaches `ANSWER_THRESHOLD` and it has
        the numbers the question names ("มาตรา 56")."""
        hits = tuple(self.search(query, limit=limit))
        confidence = hits[0].confidence if hits else 0.0
        if hits and _lacks_asked_numbers(query, hits[0].entry):
            return SearchAnswer(answered=False, confidence=confidence, hits=hits)
        return SearchAnswer(answered=confidence >= ANSWER_THRESHOLD, confidence=confidence, hits=hits)

    def related_questions(self, query: str, hits: Sequence[SearchHit], limit: int = 3) -> list[str]:
        """Quick-reply questions from the next-best articles after the one answering `query`."""
        exclude = (hits[0].entry.article_key,) if hits else ()
        return related_questions(hits, limit=limit, exclude_article_keys=exclude, query=query)

    def _identifier_similarity(
        self, identifiers: list[str], candidates: np.ndarray, open_families: frozenset[str] = frozenset()
    ) -> np.ndarray:
        asked = set(identifiers)
        shared = np.zeros(len(candidates), dtype=np.float64)
        union = np.full(len(candidates), float(len(asked)))
        for word, word_id in self._identifier_words:
            if word not in asked and word[:3] in open_families:
                # The question names the family ("CMP") but no step of it: any step of it fits.
                continue
            present = self._matrix.contains(word_id, candidates)
            if word in asked:
                shared += present
            else:
                union += present
        return shared / union


def related_questions(
    hits: Sequence[SearchHit],
    limit: int = 3,
    *,
    exclude_article_keys: Iterable[str] = (),
    query: str = "",
) -> list[str]:
    """Up to `limit` questions, one per distinct article among `hits`, in rank order.

    For each article the sample question closest to `query` is offered (so the quick reply
    continues the conversation), or its title when it has none. The question just asked and
    repeats are skipped.
    """
    seen_articles = set(exclude_article_keys)
    query_words = set(_query_words(query)) if query else set()
    offered: list[str] = []
    offered_normalized: set[str] = {normalize_query(query)} if query else set()
    for hit in hits:
        if len(offered) >= limit:
            break
        entry = hit.entry
        if entry.article_key in seen_articles:
            continue
        seen_articles.add(entry.article_key)
        candidates = [question for question in entry.sample_questions if question.strip()]
        if query_words and len(candidates) > 1:
            candidates.sort(key=lambda question: -len(query_words.intersection(_stored_question_words(question))))
        candidates.append(entry.title)
        for candidate in candidates:
            key = _stored_question_key(candidate)
            if key and key not in offered_normalized:
                offered.append(candidate.strip())
                offered_normalized.add(key)
                break
    return offered


# --- helpers --------------------------------------------------------------------------------


def question_words(text: str) -> list[str]:
    """The distinct content words of a question or a line of text, as search reads them."""
    return _query_words(text)


def _query_words(query: str) -> list[str]:
    """Distinct content words of a question, in order."""
    return _content_words(tokenize(normalize_query(query)))


def _content_words(tokens: Iterable[str]) -> list[str]:
    words: list[str] = []
    for word in tokens:
        if word not in NON_CONTENT_WORDS and word not in words and not _non_content_misspelt(word):
            words.append(word)
    return words


# A function word typed without its tone mark ("บาง" for บ้าง, "ที" for ที่) is often a
# word of its own too, so the speller never sees it as unknown; it still asks nothing. Only
# a dropped mark counts: a different mark makes a different word (ใช้ is not ใช่).
_TONE_MARKS = dict.fromkeys(map(ord, "\u0e47\u0e48\u0e49\u0e4a\u0e4b"))
_NON_CONTENT_UNMARKED = frozenset(word.translate(_TONE_MARKS) for word in NON_CONTENT_WORDS)


def _non_content_misspelt(word: str) -> bool:
    return word in _NON_CONTENT_UNMARKED and bool(_THAI_LETTER.match(word))


_THAI_LETTER = re.compile(r"[\u0e01-\u0e4e]")


def _joined(tokens: Sequence[str]) -> str:
    """Words back into text: Thai words run together as Thai is written, others spaced."""
    text = ""
    for token in tokens:
        thai = bool(_THAI_LETTER.match(token))
        text += token if thai and text and _THAI_LETTER.match(text[-1]) else (" " + token if text else token)
    return text


class Speller:
    """Puts a question's misspelt Thai words right against the words the store itself uses.

    A typo ("สำเรจ", "ความรุ้", "ประเมิณ") is segmented into fragments that match nothing
    ("สำ", "เร", "จ"). Around each word the store does not know, the few neighbouring
    fragments are joined and compared with the store's words of about that length by edit
    distance (rapidfuzz); the closest within `max_edits` replaces them. Before any edit, a span
    spelt as a store word sounds (`fold_thai`: tone marks, ็, ใ/ไ, vowel length, letters of one
    sound) becomes that word, whatever its length. Known words are never changed, so a
    correctly typed question is searched exactly as before.
    """

    SPAN = 2  # neighbouring tokens joined on each side of an unknown one
    MIN_CHARS = 4

    def __init__(
        self,
        vocabulary: Iterable[str],
        aliases: dict[str, str] | None = None,
        frequency: dict[str, float] | None = None,
    ) -> None:
        self._known = frozenset(vocabulary)
        # Written forms of the canonical terms ("ขั้นตอน" for step, "กลั่นกรองความรู้" for
        # kmp4): a misspelt form is put right to the term the store indexes.
        self._aliases = {form: word for form, word in (aliases or {}).items() if word in self._known}
        by_length: dict[int, list[str]] = {}
        for word in self._known | set(self._aliases):
            if len(word) >= self.MIN_CHARS - 1 and _THAI_LETTER.search(word):
                by_length.setdefault(len(word), []).append(word)
        self._by_length = {length: sorted(words) for length, words in by_length.items()}
        # Words that differ only in what typing gets wrong most (tone marks, ็, ใ/ไ, vowel
        # length, letters of one sound) share a key; of several, the store's most used wins.
        frequency = frequency or {}
        folded: dict[str, str] = {}
        for word in sorted(self._known | set(self._aliases), key=lambda w: (-frequency.get(w, 0.0), w)):
            if _THAI_LETTER.search(word):
                folded.setdefault(fold_thai(word), word)
        # A word that only asks, typed as it sounds ("เท่าไหล่" for เท่าไหร่), is read as that
        # word (and then asks nothing) rather than as a store word a sound away ("ไหน").
        # Particles ("ค่ะ", "นะ") are too short to be told from other words by sound.
        for word in sorted(NON_CONTENT_WORDS):
            if len(word) >= 4 and _THAI_LETTER.match(word):
                folded.setdefault(fold_thai(word), word)
        self._folded = folded
        # A canonical word stands for Thai text ("ขั้นตอร" is segmented as step + ตอ + ร, the
        # ขั้น already read as step): spans are compared as Thai, with its shortest form.
        spelt: dict[str, str] = {}
        for form, word in sorted(self._aliases.items(), key=lambda item: (len(item[0]), item[0])):
            if word.isascii():
                spelt.setdefault(word, form)
        self._spelt = spelt

    @staticmethod
    def max_edits(span: str) -> int:
        return 1 if len(span) < 7 else 2

    def _unknown(self, token: str) -> bool:
        return token not in self._known and bool(_THAI_LETTER.search(token))

    def _singular(self, token: str) -> str | None:
        """The store's word for an English plural it does not use ("steps" → step)."""
        if len(token) > 3 and token.isascii() and token.isalpha() and token not in self._known:
            for ending in ("es", "s"):
                if token.endswith(ending) and canonical_token(token[: -len(ending)]) in self._known:
                    return canonical_token(token[: -len(ending)])
        return None

    def repair(self, tokens: list[str]) -> list[str]:
        if any(self._singular(token) for token in tokens):
            tokens = [self._singular(token) or token for token in tokens]
        if not self._by_length or not any(self._unknown(token) for token in tokens):
            return tokens
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extractOne

        repaired = list(tokens)
        position = 0
        while position < len(repaired):
            if not self._unknown(repaired[position]):
                position += 1
                continue
            # A chat spelling of a function word ("อยุ่", "เปน") is only read as the word it
            # stands for, never as a content word a few edits away.
            chat = repaired[position] in NON_CONTENT_WORDS
            best: tuple[float, int, int, int, str] | None = None  # (edits, -span chars, start, end, word)
            for start in range(max(0, position - self.SPAN), position + 1):
                for end in range(position + 1, min(len(repaired), position + 1 + self.SPAN) + 1):
                    span = "".join(self._spelt.get(token, token) for token in repaired[start:end])
                    if len(span) < 2 or not _THAI_LETTER.search(span):
                        # A lone letter left over by segmenting a typo is not a word to put
                        # right ("น" is not ณ); it is read with its neighbours or not at all.
                        continue
                    same = self._folded.get(fold_thai(span))
                    if chat and same is not None and canonical_token(same) not in NON_CONTENT_WORDS:
                        # "ไหม" (a question word) sounds like ใหม่ (new): a word that asks
                        # is only ever another word that asks.
                        same = None
                    if same is not None and same != span:
                        # Spelt as the word sounds: better than any edit.
                        option = (0.5, -len(span), start, end, same)
                        if best is None or option < best:
                            best = option
                        continue
                    if chat or len(span) < self.MIN_CHARS or span in dictionary_words():
                        # A word of the language the store does not use ("เกิน", "บุตร") is
                        # not a typo of a store word a letter away ("เกิด", "บัตร").
                        continue
                    limit = self.max_edits(span)
                    candidates = [
                        word for length in range(len(span) - limit, len(span) + limit + 1)
                        for word in self._by_length.get(length, ())
                    ]
                    found = extractOne(span, candidates, scorer=Levenshtein.distance, score_cutoff=limit)
                    if found is not None:
                        option = (float(found[1]), -len(span), start, end, found[0])
                        if best is None or option < best:
                            best = option
            if best is None:
                position += 1
                continue
            _, _, start, end, word = best
            repaired[start:end] = [canonical_token(self._aliases.get(word, word))]
            position = start + 1
        return repaired


# Sample questions and titles are few and asked about again and again: segmenting them anew
# for every answer was a fifth of the CPU time of answering a question.
@lru_cache(maxsize=8192)
def _stored_question_words(question: str) -> frozenset[str]:
    return frozenset(_query_words(question))


@lru_cache(maxsize=8192)
def _stored_question_key(question: str) -> str:
    return normalize_query(question)


# The canonical word for a whole process family, and the prefix of its step codes.
_STEP_FAMILIES = {"kmprocess": "kmp", "cmprocess": "cmp"}


def _open_step_families(words: Sequence[str], identifiers: Sequence[str]) -> frozenset[str]:
    """Step-code families a question names without naming one of their steps ("CMP ของแผน 1")."""
    named = {identifier[:3] for identifier in identifiers}
    return frozenset(
        prefix for family, prefix in _STEP_FAMILIES.items() if family in words and prefix not in named
    )


def _article_words(
    entry: IndexEntry, field_weights: FieldWeights, segment: Callable[[str], Sequence[str]] = tokenize
) -> list[str]:
    question_words = [
        word for question in entry.sample_questions for word in segment(question) if word not in NON_CONTENT_WORDS
    ]
    return (
        list(segment(entry.title)) * field_weights.title
        + [word for alias in entry.aliases for word in segment(alias)] * field_weights.aliases
        + question_words * field_weights.sample_questions
        + [word for tag in entry.tags for word in segment(tag)] * field_weights.tags
    )


@lru_cache(maxsize=4096)
def _canonical_text(text: str) -> str:
    return canonicalize(normalize_text(text))


def _defines(text: str, words: Sequence[str]) -> bool:
    """Whether the passage says what one of the words is: the word, then within a few
    characters "คือ", "หมายถึง" or "ย่อมาจาก" ("KM (Knowledge Management) คือการนำความรู้...")."""
    canonical = _canonical_text(text)
    for word in words:
        start = canonical.find(word)
        while start != -1:
            if _DEFINITION.search(canonical, start + len(word), start + len(word) + DEFINITION_WINDOW):
                return True
            start = canonical.find(word, start + 1)
    return False


def _spells_out(text: str, abbreviations: Sequence[str]) -> bool:
    """Whether the passage writes out one of the abbreviations: words whose first letters
    spell it ("CMP Change Management Process", "KM (Knowledge Management)")."""
    return any(_spelt_out_pattern(abbreviation.lower()).search(text) for abbreviation in abbreviations)


@lru_cache(maxsize=256)
def _spelt_out_pattern(abbreviation: str) -> re.Pattern[str]:
    words = r"[\s-]+".join(rf"{re.escape(letter)}[a-z]+" for letter in abbreviation)
    return re.compile(rf"(?<![A-Za-z]){words}(?![A-Za-z])", re.IGNORECASE)


_NUMBER = re.compile(r"(?<![0-9.A-Za-z])[0-9]+(?:\.[0-9]+)*(?![0-9A-Za-z])")
_YEAR = re.compile(r"(?:25|20)[0-9]{2}")


def _is_list(text: str) -> bool:
    return len(_LIST_ITEM.findall(text)) >= LIST_ITEMS


def _asks_list(query: str) -> bool:
    """Whether the question asks for a list, a count or how to do something: all answered by
    the passage that lists items or steps."""
    return bool(_LIST_ASKED.search(query) or _HOW_ASKED.search(query))


def _asked_fact_kinds(query: str) -> tuple[re.Pattern[str], ...]:
    """What a passage must show to hold the fact the question asks for (a date, a number, a
    person, post or unit)."""
    text = normalize_text(query)
    kinds = ((_ASKS_WHEN, _HAS_WHEN), (_ASKS_COUNT, _HAS_COUNT), (_ASKS_WHO, _HAS_WHO))
    return tuple(has for asks, has in kinds if asks.search(text))


def _fact_missing(kinds: Sequence[re.Pattern[str]], entry: IndexEntry) -> float:
    """1 when the question asks for a kind of fact (`_asked_fact_kinds`) the passage shows none of."""
    return float(any(not has.search(entry.text) for has in kinds))


def _lacks_asked_numbers(query: str, entry: IndexEntry) -> bool:
    """Whether the question names a number (a section, a count, an amount; not a year, nor a step
    or plan code) that the passage does not contain: "มาตรา 56" is not answered by a passage
    about another section, however many other words they share."""
    asked = {number for number in _NUMBER.findall(" ".join(tokenize(normalize_query(query))))
             if not _YEAR.fullmatch(number)}
    if not asked:
        return False
    present = set(_NUMBER.findall(_canonical_text(" ".join((entry.text, *entry.heading_path, entry.title)))))
    return not asked <= present


def _assign_sample_questions(
    entries: tuple[IndexEntry, ...], documents: list[list[str]], segment: Callable[[str], Sequence[str]], matrix: _Bm25Matrix
) -> None:
    """Add each article's sample questions to the passage of that article that shares most of
    their words (weighted by the words' IDF in `matrix`): a question belongs to the passage that
    answers it, not to every passage of its article. The earlier passage wins a tie; a question
    sharing no word goes nowhere."""
    rows_by_article: dict[int, list[int]] = {}
    for row, entry in enumerate(entries):
        rows_by_article.setdefault(entry.article_id, []).append(row)
    for rows in rows_by_article.values():
        questions = entries[rows[0]].sample_questions
        if not questions:
            continue
        passage_words = [set(documents[row]) for row in rows]
        for question in questions:
            words = [word for word in segment(question) if word not in NON_CONTENT_WORDS]
            weights = {word: matrix.idf[matrix.vocabulary[word]] for word in words if word in matrix.vocabulary}
            shared = [sum(weight for word, weight in weights.items() if word in passage) for passage in passage_words]
            best = max(range(len(rows)), key=lambda position: (shared[position], -position))
            if shared[best] > 0:
                documents[rows[best]].extend(words)


def _best_other_article_score(article_keys: np.ndarray, ranked: np.ndarray, position: int) -> float:
    """The best score among candidates from an article other than the one at `position`."""
    for other in range(len(ranked)):
        if article_keys[other] != article_keys[position]:
            return float(ranked[other])
    return 0.0


def _top_indices(scores: np.ndarray, count: int) -> np.ndarray:
    positive = np.flatnonzero(scores > 0)
    if len(positive) > count:
        best = np.argpartition(-scores[positive], count - 1)[:count]
        positive = positive[best]
    # Ties are broken by passage order, so results are reproducible.
    order = np.lexsort((positive, -scores[positive]))
    return positive[order]
