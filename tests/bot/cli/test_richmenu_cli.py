"""`kmbot richmenu setup` and the menus `kmbot users grant` links, against the strict LINE stub
(which checks the rich menu object, its areas and its image as LINE's reference says)."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests import line_rules

USER = "U00000000000000000000000000000c1"


def setup(app) -> dict:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["richmenu", "setup", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_setup_creates_the_staff_and_committee_menus_with_images_and_the_staff_default(app, line_stub) -> None:
    made = setup(app)

    assert set(line_stub.rich_menus) == {made["staff"], made["committee"]}
    assert line_stub.default_rich_menu == made["staff"]
    staff, committee = line_stub.rich_menus[made["staff"]], line_stub.rich_menus[made["committee"]]
    assert staff["name"] == "kmbot-staff" and committee["name"] == "kmbot-committee"
    staff_actions = [area["action"] for area in staff["areas"]]
    committee_actions = [area["action"] for area in committee["areas"]]
    assert [action.get("text") for action in staff_actions] == [None, "/plan", "/share", "/survey", "/help"]
    assert staff_actions[0]["type"] == "postback" and staff_actions[0]["inputOption"] == "openKeyboard"
    assert {action.get("text") for action in committee_actions} >= {"/done", "/stats", "/plan", "/share", "/survey", "/help"}
    for menu_id, menu in line_stub.rich_menus.items():
        assert list(line_rules.rich_menu_problems(menu)) == []
        image = line_stub.rich_menu_images[menu_id]
        with Image.open(io.BytesIO(image)) as opened:
            assert opened.format == "PNG" and opened.size == (menu["size"]["width"], menu["size"]["height"])
        assert len(image) <= 1024 * 1024
        # The areas cover the image without overlapping.
        covered = sum(area["bounds"]["width"] * area["bounds"]["height"] for area in menu["areas"])
        assert covered == menu["size"]["width"] * menu["size"]["height"]
    uploads = [call for call in line_stub.calls if call.path.endswith("/content")]
    assert len(uploads) == 2 and all(call.headers["Content-Type"] == "image/png" for call in uploads)


def test_running_setup_again_replaces_the_menus_instead_of_piling_them_up(app, line_stub) -> None:
    foreign = "richmenu-made-by-someone-else"
    line_stub.rich_menus[foreign] = {"name": "campaign", "size": {"width": 2500, "height": 843}}
    first = setup(app)
    second = setup(app)

    assert set(line_stub.rich_menus) == {second["staff"], second["committee"], foreign}
    assert sorted(second["replaced"]) == sorted([first["staff"], first["committee"]])
    assert line_stub.default_rich_menu == second["staff"]


def test_grant_links_the_committee_menu_and_staff_unlinks_it(app, line_stub) -> None:
    made = setup(app)
    runner = app.test_cli_runner()

    granted = runner.invoke(args=["users", "grant", USER, "committee"], catch_exceptions=False)
    assert granted.exit_code == 0 and "committee rich menu linked" in granted.output
    assert line_stub.user_rich_menus == {USER: made["committee"]}

    back = runner.invoke(args=["users", "grant", USER, "staff"], catch_exceptions=False)
    assert back.exit_code == 0 and USER not in line_stub.user_rich_menus
    assert [call.method for call in line_stub.calls if call.path == f"/v2/bot/user/{USER}/richmenu"] == ["DELETE"]


def test_grant_before_setup_still_grants_the_role_and_says_so(app, line_stub, database) -> None:
    from sqlalchemy import select

    from bot.core.tables import User

    result = app.test_cli_runner().invoke(args=["users", "grant", USER, "secretary"], catch_exceptions=False)

    assert result.exit_code == 0 and "kmbot richmenu setup" in result.output
    with database.session() as session:
        assert session.scalars(select(User.role).where(User.line_user_id == USER)).one() == "secretary"


def test_the_stub_refuses_an_image_of_the_wrong_size_and_an_area_outside_the_menu(line_stub) -> None:
    menu = {"size": {"width": 2500, "height": 1686}, "selected": False, "name": "x", "chatBarText": "เมนู",
            "areas": [{"bounds": {"x": 2000, "y": 0, "width": 600, "height": 100}, "action": {"type": "message", "text": "/help"}}]}
    assert [prop for prop, _ in line_rules.rich_menu_problems(menu)] == ["areas[0].bounds"]
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 810)).save(buffer, format="PNG")
    assert line_rules.rich_menu_image_problems(menu, "image/png", buffer.getvalue())
    assert line_rules.rich_menu_image_problems(menu, "image/jpeg", buffer.getvalue())
    too_tall = {**menu, "size": {"width": 2500, "height": 2500}}
    assert [prop for prop, _ in line_rules.rich_menu_problems(too_tall)][0] == "size"


def test_a_code_redeemed_in_line_links_the_committee_menu_as_a_grant_does(app, line_stub, webhook, line_events, database) -> None:
    from datetime import datetime

    from bot.core.calendar import BANGKOK
    from bot.core.people import create_invitation

    made = setup(app)
    with database.session() as session:
        code = create_invitation(session, "committee", days=7, at=datetime.now(BANGKOK)).code

    webhook.send(line_events.text(code, line_events.user(USER)))

    assert line_stub.user_rich_menus == {USER: made["committee"]}
