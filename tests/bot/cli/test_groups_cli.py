"""`kmbot groups list`: each group's name from LINE's group summary, the id never wrapped."""

from __future__ import annotations

import json

from rich.cells import cell_len
from sqlalchemy import select

from bot.core.tables import ChatGroup

GROUP = "C0123456789abcdef0123456789abcdef"  # 33 characters, as LINE's group ids are


def test_groups_list_shows_and_stores_the_name_from_the_group_summary(cli, database, line_stub, add_group, monkeypatch) -> None:
    add_group(GROUP)
    add_group("Cgone-group-without-summary", role="staff")
    line_stub.group_names[GROUP] = "คณะทำงาน KM กองยุทธศาสตร์และงบประมาณ"
    monkeypatch.setenv("COLUMNS", "80")

    table = cli("groups", "list")
    listed = json.loads(cli("groups", "list", "--json").output)

    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert any(GROUP in line for line in lines), table.output  # on one line: not folded
    assert all(cell_len(line) <= 80 for line in lines), table.output
    assert "คณะทำงาน" in table.output
    assert {row["id"]: row["name"] for row in listed} == {GROUP: "คณะทำงาน KM กองยุทธศาสตร์และงบประมาณ", "Cgone-group-without-summary": None}
    with database.session() as session:
        assert session.scalars(select(ChatGroup.name).where(ChatGroup.line_group_id == GROUP)).one().startswith("คณะทำงาน")


def test_the_stored_name_stays_when_line_cannot_say(cli, database, line_stub, add_group) -> None:
    add_group(GROUP)
    with database.session() as session:
        session.scalars(select(ChatGroup).where(ChatGroup.line_group_id == GROUP)).one().name = "กลุ่มเดิม"

    listed = json.loads(cli("groups", "list", "--json").output)

    assert listed[0]["name"] == "กลุ่มเดิม"
