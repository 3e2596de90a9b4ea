"""The command table: one declaration per command gives its words, its /help line and its role check."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from handlers import commands
from handlers.commands import COMMANDS, Command, find_command, help_text, permitted


def test_every_word_names_one_command() -> None:
    words = [word.lower() for command in COMMANDS for word in command.words]
    assert len(words) == len(set(words))


@pytest.mark.parametrize(("typed", "name", "rest"), [
    ("/plan 2567", "plan", "2567"), ("/แผน", "plan", ""), ("งาน", "plan", ""), ("/DONE 12 note", "done", "12 note"),
    ("ทำแล้ว", "done", ""), ("วิธีใช้", "help", ""), ("/ลงทะเบียน KM-AAAA-BBBB", "register", "KM-AAAA-BBBB"),
])
def test_thai_and_english_words_find_the_command(typed: str, name: str, rest: str) -> None:
    found = find_command(typed)
    assert found is not None and found[0] is not None
    assert (found[0].name, found[1]) == (name, rest)


def test_a_bare_alias_inside_a_sentence_is_a_question_and_an_unknown_slash_word_is_unknown() -> None:
    assert find_command("งาน KM คืออะไร") is None
    assert find_command("/nosuch x") == (None, "/nosuch x")


def test_help_lists_the_commands_that_have_a_help_line_in_table_order() -> None:
    lines = [line for line in help_text().splitlines() if line.startswith("• /")]
    assert [line.split()[1] for line in lines] == [f"/{c.name}" for c in COMMANDS if c.help]
    assert "• /done หรือ /ทำแล้ว — กรรมการ KM บันทึกว่ากิจกรรมเสร็จแล้ว" in lines


@pytest.mark.parametrize(("user", "role", "allowed"), [
    (None, "staff", False), (object(), "staff", False), (object(), "committee", True), (object(), "secretary", True),
])
def test_one_role_check(user: object, role: str, allowed: bool) -> None:
    context = SimpleNamespace(user=user, user_role=role, group=None)
    done = next(command for command in COMMANDS if command.name == "done")
    plan = next(command for command in COMMANDS if command.name == "plan")
    assert permitted(done, context) is allowed  # type: ignore[arg-type]
    assert permitted(plan, context) is True  # type: ignore[arg-type]


@pytest.mark.parametrize(("user", "group_role", "allowed"), [
    (None, "committee", True), (None, None, False), (object(), "committee", False),
])
def test_without_a_user_id_the_committee_group_is_the_authority(user: object, group_role: str | None, allowed: bool) -> None:
    context = SimpleNamespace(user=user, user_role="staff", group=SimpleNamespace(role=group_role))
    done = next(command for command in COMMANDS if command.name == "done")
    assert permitted(done, context) is allowed  # type: ignore[arg-type]


def test_adding_a_command_is_one_declaration(monkeypatch: pytest.MonkeyPatch) -> None:
    hello = Command("hello", ("สวัสดี",), lambda arguments, context: [], help="ทักทาย", roles=("secretary",))
    table = (*COMMANDS, hello)
    monkeypatch.setattr(commands, "COMMANDS", table)
    monkeypatch.setattr(commands, "COMMANDS_BY_WORD", {w.lower(): c for c in table for w in c.words})
    assert find_command("/สวัสดี") == (hello, "")
    assert help_text().endswith("• /hello หรือ /สวัสดี — ทักทาย")
