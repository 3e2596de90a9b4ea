"""Markdown articles with optional YAML front matter (python-frontmatter, then python-markdown)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import frontmatter
import markdown
import yaml

from kb.ingest._common import Metadata, assemble_document, decode_text, describe_source
from kb.ingest.html_reader import blocks_from_html
from kb.ingest.passages import Block, first_heading
from kb.parsed import IngestError, ParsedDocument

MARKDOWN_EXTENSIONS = ("tables", "sane_lists", "fenced_code")
_THAI_NUMBERED_LINE = re.compile(r"^([ \t]*)([๐-๙]+)\.", re.MULTILINE)
KNOWN_FIELDS = frozenset(
    {"title", "slug", "category", "tags", "aliases", "questions", "sample_questions", "status"}
)


def read_markdown(data: bytes, *, source: str) -> ParsedDocument:
    """Read a Markdown file: front matter gives the metadata, headings build the heading path."""
    text = decode_text(data, source=source)
    raw_metadata, body = split_front_matter(text, source=source)
    metadata = metadata_from_front_matter(raw_metadata)
    blocks = markdown_to_blocks(body)
    return assemble_document(
        blocks,
        data=data,
        source=source,
        body=body,
        title=first_heading(blocks),
        metadata=metadata,
    )


def markdown_to_blocks(text: str) -> list[Block]:
    # Rendering with python-markdown and reading the HTML keeps one reader for the
    # structure of both formats (headings, lists, tables, emphasis).
    html = markdown.markdown(_keep_thai_numbering(text), extensions=list(MARKDOWN_EXTENSIONS))
    return blocks_from_html(html)


def _keep_thai_numbering(text: str) -> str:
    # python-markdown reads "๑. ..." as an ordered list and renumbers it "1."; Thai
    # official texts number with Thai digits, so the marker is escaped and kept as written.
    return _THAI_NUMBERED_LINE.sub(r"\1\2\\.", text)


def split_front_matter(text: str, *, source: str) -> tuple[dict[str, Any], str]:
    """Return (front matter mapping, body). A file without front matter has an empty mapping."""
    candidate = text.lstrip()
    handler = frontmatter.detect_format(candidate, frontmatter.handlers)
    if handler is None:
        return {}, text
    try:
        raw, body = handler.split(candidate)
    except ValueError:
        return {}, text
    try:
        loaded = handler.load(raw)
    except yaml.YAMLError as error:
        raise IngestError(
            f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ส่วนหัว (front matter) ไม่ใช่ YAML ที่ถูกต้อง ({_first_line(error)})"
        ) from error
    except Exception as error:  # TOML and JSON front matter raise their own types
        raise IngestError(
            f"อ่านไฟล์ {describe_source(source)} ไม่ได้: อ่านส่วนหัว (front matter) ไม่ได้ ({_first_line(error)})"
        ) from error
    if loaded is None:
        return {}, body
    if not isinstance(loaded, dict):
        raise IngestError(
            f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ส่วนหัว (front matter) ต้องเป็นรายการ "
            f'"ชื่อ: ค่า" เช่น title: ... แต่พบ{_kind_in_thai(loaded)}'
        )
    return {str(key): value for key, value in loaded.items()}, body


def metadata_from_front_matter(raw: dict[str, Any]) -> Metadata:
    warnings: list[str] = []
    unknown = sorted(set(raw) - KNOWN_FIELDS)
    if unknown:
        warnings.append("ไม่รู้จักฟิลด์ในส่วนหัว: " + ", ".join(unknown))
    questions = _string_list(raw.get("questions"), "questions", warnings)
    questions += _string_list(raw.get("sample_questions"), "sample_questions", warnings)
    return Metadata(
        title=_string(raw.get("title"), "title", warnings),
        slug=_string(raw.get("slug"), "slug", warnings),
        category=_string(raw.get("category"), "category", warnings),
        tags=tuple(_string_list(raw.get("tags"), "tags", warnings, split_commas=True)),
        aliases=tuple(_string_list(raw.get("aliases"), "aliases", warnings, split_commas=True)),
        sample_questions=tuple(dict.fromkeys(questions)),
        status=_string(raw.get("status"), "status", warnings).lower(),
        warnings=tuple(warnings),
    )


def _string(value: Any, name: str, warnings: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float, datetime.date)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    warnings.append(f"ฟิลด์ {name} ควรเป็นข้อความ จึงไม่ได้นำมาใช้")
    return ""


def _string_list(value: Any, name: str, warnings: list[str], *, split_commas: bool = False) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",") if split_commas else [value]
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                items.append(str(item))
            else:
                warnings.append(f"ข้ามค่าหนึ่งในฟิลด์ {name} เพราะไม่ใช่ข้อความ")
    else:
        warnings.append(f"ฟิลด์ {name} ควรเป็นรายการข้อความ จึงไม่ได้นำมาใช้")
        return []
    cleaned = (" ".join(item.split()) for item in items)
    return list(dict.fromkeys(item for item in cleaned if item))


def _kind_in_thai(value: Any) -> str:
    if isinstance(value, list):
        return "รายการแบบลำดับ (list)"
    if isinstance(value, str):
        return "ข้อความธรรมดา"
    return f"ค่าชนิด {type(value).__name__}"


def _first_line(error: Exception) -> str:
    return str(error).strip().split("\n")[0]
