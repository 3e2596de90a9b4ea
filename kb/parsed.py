"""Plain data that ingestion produces and the store and search consume."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ParsedPassage:
    """A piece of an article that search ranks and an answer quotes.

    `heading_path` lists the headings above the passage, outermost first, so a passage
    can be shown (and searched) together with the section it belongs to.
    """

    heading_path: tuple[str, ...]
    text: str
    position: int


@dataclass(frozen=True)
class ParsedDocument:
    """One article as read from a file, before it is stored."""

    title: str
    body: str
    source: str
    content_hash: str
    passages: tuple[ParsedPassage, ...]
    slug: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sample_questions: tuple[str, ...] = ()
    status: str = "published"
    warnings: tuple[str, ...] = field(default=())


class IngestError(ValueError):
    """A file could not be read as knowledge; the message names the file and the reason."""
