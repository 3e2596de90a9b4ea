"""CLI tables a person reads: they fit 80 columns, ids are never wrapped, Thai is broken only
between words."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from pythainlp.tokenize import word_tokenize
from rich.cells import cell_len

from bot.cli.output import column_widths, wrap_words

TITLE = "แนวทางการจัดทำแผนการจัดการความรู้ขององค์การบริหารส่วนจังหวัดตามหลักเกณฑ์ของสำนักงาน ก.พ.ร."


def word_boundaries(text: str) -> set[int]:
    ends, position = {0}, 0
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        position += len(word)
        ends.add(position)
    return ends


def test_a_long_thai_title_wraps_between_words_only():
    lines = wrap_words(TITLE, 20).splitlines()

    assert len(lines) > 1 and all(cell_len(line) <= 20 for line in lines)
    position, boundaries = 0, word_boundaries(TITLE)
    for line in lines:
        start = TITLE.index(line, position)
        assert start in boundaries and start + len(line) in boundaries, line
        position = start + len(line)


@given(text=st.text(alphabet="กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋็ั์ ", min_size=1, max_size=60),
       width=st.integers(min_value=4, max_value=30))
def test_wrapped_text_keeps_every_character_and_fits(text: str, width: int) -> None:
    wrapped = wrap_words(text, width)
    assert all(cell_len(line) <= width for line in wrapped.splitlines())
    assert "".join(wrapped.split()) == "".join(text.split())


def test_fixed_columns_keep_their_width_and_the_rest_give_way():
    widths = column_widths(["id", "title", "source"], [["C0123456789abcdef0123456789abcdef", TITLE, "editor:1a2b"]],
                           [True, False, False], 80)
    assert widths[0] == 33 and sum(widths) + 3 * 3 + 1 <= 80


def test_kb_list_fits_80_columns_with_thai_broken_between_words(cli, starter_pack, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    output = cli("kb", "list").output
    titles = {str(row["id"]): row["title"] for row in json.loads(cli("kb", "list", "--json").output)}

    assert all(cell_len(line) <= 80 for line in output.splitlines()), output
    pieces: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if len(cells) < 2 or cells[0] == "รหัส":
            continue
        current = cells[0] or current
        if cells[1]:
            pieces.setdefault(current, []).append(cells[1])
    assert set(pieces) == set(titles)
    wrapped = [article for article, lines in pieces.items() if len(lines) > 1]
    assert wrapped, "no title needed wrapping at 80 columns: the test shows nothing"
    for article, lines in pieces.items():
        title, position, boundaries = titles[article], 0, word_boundaries(titles[article])
        for piece in lines:
            start = title.index(piece, position)
            assert start in boundaries and start + len(piece) in boundaries, (title, piece)
            position = start + len(piece)


def test_messages_a_person_reads_come_in_thai_first(cli, add_group):
    add_group("C0123456789abcdef0123456789abcdef", role="staff")

    assert cli("groups", "set-role", "C0123456789abcdef0123456789abcdef", "committee").output.startswith(
        "ตั้งกลุ่ม C0123456789abcdef0123456789abcdef เป็น “กรรมการ KM” แล้ว")
    assert cli("users", "invite", "committee").output.startswith("รหัสเชิญสำหรับกรรมการ KM: KM-")
    assert "ไม่พบบทความหมายเลข 999" in cli("kb", "show", "999").output
