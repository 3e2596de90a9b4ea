"""The plan and reminder commands as an operator runs them: `kmbot plan ...`, `kmbot reminders
preview`, `kmbot scheduler tick`, and the clock inside `kmbot serve`."""

from __future__ import annotations

import json
import threading
from datetime import datetime

import pytest
import time_machine

from bot.core.calendar import BANGKOK

SPEC_PLAN_FIELDS = {"id", "plan", "number", "step", "name", "period_text", "start", "deadline", "open_ended", "status", "warnings"}
SPEC_PREVIEW_FIELDS = {"activity_id", "kind", "at", "recipients", "state"}


@pytest.fixture
def imported(cli, sample_plan_path):  # type: ignore[no-untyped-def]
    result = cli("plan", "import", sample_plan_path)
    assert result.exit_code == 0, result.output
    return result


def plan_rows(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    result = cli("plan", "list", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def row_of(rows: list[dict], plan: int, step: str) -> dict:
    (row,) = [row for row in rows if row["plan"] == plan and row["step"] == step]
    return row


# --- kmbot plan ---------------------------------------------------------------------------------


def test_plan_import_prints_every_activity_with_dates_and_flags_then_each_unreadable_period(imported) -> None:
    output = imported.output

    assert output.count("\n  #") == 26
    assert "KMP5   การเข้าถึงความรู้" in output
    assert "period “ก.ค. ๒๕๖๗ เป็นต้นไป” -> 2024-07-01 .. 2024-09-30  (๑ ก.ค. ๒๕๖๗ – ๓๐ ก.ย. ๒๕๖๗)  [open-ended]" in output
    assert "period “มี.ย. ๒๕๖๗” -> NO DATES" in output and "period “จ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗” -> NO DATES" in output
    assert "2 activities have no dates and get no reminders until set" in output
    assert "แผนที่ ๒ ตารางที่ ๒.๓ ลำดับที่ ๔ (KMP4): อ่านระยะเวลา “มี.ย. ๒๕๖๗” ไม่ได้ (“มี.ย.” ไม่ใช่ชื่อเดือน) ข้อเสนอ: มิ.ย. ๒๕๖๗" in output
    assert "แผนที่ ๑ ตารางที่ ๒.๒ ลำดับที่ ๑ (KMP1): อ่านระยะเวลา “จ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗” ไม่ได้" in output
    assert "แผนที่ ๑ ตารางที่ ๒.๒: ไม่มีลำดับที่ ๓–๔" in output
    assert "saved: 2 plan(s) (2 new, 0 updated), 26 activities (26 new, 0 updated, 0 removed)" in output


def test_plan_import_of_a_file_it_cannot_read_exits_1(cli, tmp_path) -> None:
    missing = cli("plan", "import", tmp_path / "no-such-plan.txt")
    unsupported_path = tmp_path / "plan.pdf"
    unsupported_path.write_bytes(b"%PDF-1.4")
    unsupported = cli("plan", "import", unsupported_path)

    assert missing.exit_code == 1 and "cannot read the file" in missing.output
    assert unsupported.exit_code == 1 and "ไม่รองรับไฟล์ชนิด" in unsupported.output


def test_plan_list_json_has_the_spec_shape_and_flags_the_unreadable_periods(cli, imported) -> None:
    rows = plan_rows(cli)

    assert len(rows) == 26 and all(SPEC_PLAN_FIELDS <= set(row) for row in rows)
    assert {row["step"] for row in rows} == {f"KMP{n}" for n in range(1, 8)} | {f"CMP{n}" for n in range(1, 7)} | {"RECOG"}
    kmp5 = row_of(rows, 1, "KMP5")
    assert (kmp5["start"], kmp5["deadline"], kmp5["open_ended"], kmp5["status"], kmp5["number"]) == ("2024-07-01", "2024-09-30", True, "pending", 5)
    assert (kmp5["start_thai"], kmp5["deadline_thai"], kmp5["fiscal_year"]) == ("๑ ก.ค. ๒๕๖๗", "๓๐ ก.ย. ๒๕๖๗", 2567)
    unreadable = row_of(rows, 2, "KMP4")
    assert unreadable["start"] is None and unreadable["deadline"] is None
    assert any("มี.ย." in warning and "มิ.ย. ๒๕๖๗" in warning for warning in unreadable["warnings"])
    assert row_of(rows, 2, "KMP5")["warnings"] == []


def test_set_dates_is_kept_by_a_reimport_and_done_is_kept_too(cli, imported, sample_plan_path) -> None:
    unreadable_id = row_of(plan_rows(cli), 2, "KMP4")["id"]
    done_id = row_of(plan_rows(cli), 1, "CMP1")["id"]

    set_dates = cli("plan", "set-dates", unreadable_id, "2567-06-03", "2024-06-28")
    done = cli("plan", "done", done_id, "--note", "บันทึกการประชุมชี้แจง")
    reimport = cli("plan", "import", sample_plan_path)

    assert set_dates.exit_code == 0 and "2024-06-03 .. 2024-06-28 (๓ มิ.ย. ๒๕๖๗ – ๒๘ มิ.ย. ๒๕๖๗)" in set_dates.output
    assert done.exit_code == 0 and "marked done" in done.output
    assert "0 new, 26 updated, 0 removed, 1 kept their hand-set dates" in reimport.output
    rows = plan_rows(cli)
    fixed = row_of(rows, 2, "KMP4")
    assert (fixed["start"], fixed["deadline"], fixed["dates_set_by_hand"], fixed["warnings"]) == ("2024-06-03", "2024-06-28", True, [])
    kept = row_of(rows, 1, "CMP1")
    assert kept["status"] == "done" and kept["evidence_note"] == "บันทึกการประชุมชี้แจง"


def test_set_dates_refuses_what_is_not_a_date_or_backwards(cli, imported) -> None:
    activity_id = row_of(plan_rows(cli), 2, "KMP4")["id"]

    assert cli("plan", "set-dates", activity_id, "มิ.ย.", "2024-06-30").exit_code == 2
    assert cli("plan", "set-dates", activity_id, "2024-06-30", "2024-06-01").exit_code == 2
    assert cli("plan", "set-dates", 99999, "2024-06-01", "2024-06-30").exit_code == 1


def test_a_mistaken_done_can_be_reopened(cli, imported) -> None:
    activity_id = row_of(plan_rows(cli), 1, "CMP2")["id"]
    cli("plan", "done", activity_id)

    result = cli("plan", "reopen", activity_id)

    assert result.exit_code == 0
    assert row_of(plan_rows(cli), 1, "CMP2")["status"] == "pending"


# --- kmbot reminders preview ----------------------------------------------------------------------


def test_reminders_preview_json_has_the_spec_shape_and_states(cli, imported, committee_group, line_stub) -> None:
    with time_machine.travel(datetime(2024, 7, 1, 12, 0, tzinfo=BANGKOK), tick=False):
        cli("scheduler", "tick")
        activity_id = row_of(plan_rows(cli), 1, "CMP6")["id"]
        cli("plan", "done", activity_id)
        result = cli("reminders", "preview", "--json")

    previews = json.loads(result.output)
    assert result.exit_code == 0 and all(SPEC_PREVIEW_FIELDS <= set(preview) for preview in previews)
    assert {preview["kind"] for preview in previews} == {"start", "before_7d", "before_1d", "due", "overdue"}
    assert all(preview["at"].endswith("+07:00") and "T09:00:00" in preview["at"] for preview in previews)
    on_july_first = [preview for preview in previews if preview["at"] == "2024-07-01T09:00:00+07:00"]
    assert len(on_july_first) == 4 and {preview["state"] for preview in on_july_first} == {"sent"}
    assert all(preview["recipients"] == [committee_group] for preview in on_july_first)
    assert {preview["state"] for preview in previews if preview["activity_id"] == activity_id} == {"cancelled"}
    assert {preview["state"] for preview in previews if preview["at"] < "2024-06-30"} == {"missed"}
    assert {preview["state"] for preview in previews if preview["at"] > "2024-07-02" and preview["activity_id"] != activity_id} == {"pending"}


def test_reminders_preview_from_a_date_and_as_a_table(cli, imported) -> None:
    with time_machine.travel(datetime(2024, 1, 1, 8, 0, tzinfo=BANGKOK), tick=False):
        everything = json.loads(cli("reminders", "preview", "--json").output)
        later = json.loads(cli("reminders", "preview", "--json", "--from", "2024-09-01").output)
        table = cli("reminders", "preview", "--from", "2024-09-30").output

    # 190 before overdue reminders stopped at the fiscal year's end (30 September 2024).
    assert len(everything) == 122
    assert all(preview["at"] < "2024-10-01" for preview in everything)
    assert later and all(preview["at"] >= "2024-09-01" for preview in later)
    assert len(later) == len([preview for preview in everything if preview["at"] >= "2024-09-01"])
    assert "planned reminders from 2024-09-30:" in table
    assert "2024-09-30 09:00  due" in table and "pending" in table


# --- kmbot scheduler tick -----------------------------------------------------------------------


def test_scheduler_tick_twice_sends_nothing_twice(cli, imported, committee_group, line_stub) -> None:
    first = cli("scheduler", "tick", "--now", "2024-07-01T09:05:00+07:00", "--json")
    second = cli("scheduler", "tick", "--now", "2024-07-01T02:05:00Z", "--json")
    table = cli("scheduler", "tick", "--now", "2024-07-01T09:06:00")

    sent = json.loads(first.output)["sent"]
    assert len(sent) == 4 and {item["kind"] for item in sent} == {"start"}
    assert json.loads(second.output)["sent"] == []
    assert json.loads(second.output)["now"] == "2024-07-01T09:05:00+07:00"
    assert "tick at 2024-07-01T09:06:00+07:00: 0 sent" in table.output
    assert len(line_stub.pushes) == 1  # the four reminders in one digest


def test_scheduler_tick_prints_what_it_sent(cli, imported, committee_group, line_stub) -> None:
    result = cli("scheduler", "tick", "--now", "2024-09-30T09:00:00+07:00")

    assert result.exit_code == 0
    assert "sent" in result.output and "CMP5" in result.output and committee_group in result.output


def test_scheduler_tick_refuses_a_bad_moment(cli) -> None:
    assert cli("scheduler", "tick", "--now", "next tuesday").exit_code == 2


def test_scheduler_commands_need_line_credentials(app_config, tmp_path) -> None:
    from bot import create_app

    local = create_app({**app_config, "line_channel_secret": None, "line_channel_access_token": None})
    result = local.test_cli_runner().invoke(args=["scheduler", "tick"])

    assert result.exit_code == 1 and "nothing to push reminders with" in result.output


# --- the clock inside kmbot serve ----------------------------------------------------------------


def test_serve_runs_the_reminder_clock_while_it_serves(app, database, monkeypatch) -> None:
    import waitress

    from scheduler.clock import ReminderClock
    from scheduler.lease import lease_status

    seen: dict[str, object] = {}
    start = ReminderClock.start
    started = threading.Event()

    def recording_start(clock, **options):  # type: ignore[no-untyped-def]
        seen["clock"] = clock
        report = start(clock, **options)
        started.set()
        return report

    def fake_serve(application, **options):  # type: ignore[no-untyped-def]
        # The clock starts in the background once the server listens.
        assert started.wait(60), "the reminder clock did not start"
        seen["running"] = seen["clock"].running  # type: ignore[attr-defined]
        seen["lease"] = lease_status(database)

    monkeypatch.setattr(ReminderClock, "start", recording_start)
    monkeypatch.setattr(waitress, "serve", fake_serve)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8765"], catch_exceptions=False)

    assert result.exit_code == 0
    assert seen["running"] is True
    assert seen["lease"] is not None and seen["lease"]["holder"] == seen["clock"].holder  # type: ignore[union-attr,index,attr-defined]
    assert not seen["clock"].running  # type: ignore[attr-defined]  # shut down when serving ended
