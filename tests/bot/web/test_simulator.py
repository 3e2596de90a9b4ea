"""The chat simulator: the webhook's handlers, driven from a web page, drawn like LINE."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot import create_app
from bot.core.config import Config
from bot.core.migrate import upgrade_database
from bot.core.tables import InteractionEvent, User
from bot.web.extensions import get_config, get_database, get_search
from bot.web.simulator import (
    SIMULATOR_USER_PREFIX,
    new_simulator_user_id,
    simulate_postback,
    simulate_text,
)
from bot.web.webhook import EventServices
from handlers.commands import POSTBACK_ACTIONS
from kb.store import load_starter_pack
from kb.tables import KnowledgeGap

ADMIN_PASSWORD = "simulator-password"


@pytest.fixture
def local_app(database_url):  # type: ignore[no-untyped-def]
    """The product in local mode: no LINE credentials, so `/` is the simulator."""
    application = create_app({
        "database_url": database_url, "line_channel_secret": None, "line_channel_access_token": None,
        "secret_key": "simulator-test-key", "admin_password": None,
    })
    application.config["TESTING"] = True
    database = get_database(application)
    upgrade_database(database)
    with database.session() as session:
        load_starter_pack(session)
    yield application
    database.dispose()


@pytest.fixture
def local_client(local_app):  # type: ignore[no-untyped-def]
    return local_app.test_client()


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def say(client, text: str, *, fragment: bool = True) -> str:  # type: ignore[no-untyped-def]
    token = csrf_token_of(client.get("/").get_data(as_text=True))
    headers = {"X-Requested-With": "fetch"} if fragment else {}
    response = client.post("/chat/send", data={"csrf_token": token, "text": text}, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def press(client, html: str, label: str) -> str:  # type: ignore[no-untyped-def]
    """Submit the form of the button labelled `label` in `html`, as the browser would."""
    for form in re.findall(r"<form .*?</form>", html, flags=re.S):
        if f">{label}</button>" in form:
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
            fields = {name: value.replace("&amp;", "&") for name, value in fields.items()}
            action = re.search(r'action="([^"]+)"', form).group(1)
            response = client.post(action, data=fields, headers={"X-Requested-With": "fetch"})
            assert response.status_code == 200
            return response.get_data(as_text=True)
    raise AssertionError(f"no button {label!r}")


def test_local_mode_home_is_the_chat_page(local_client):
    page = local_client.get("/")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="th">' in html and 'name="viewport"' in html
    assert 'id="chat-text"' in html and 'action="/chat/send"' in html


def test_a_question_comes_back_as_the_answer_card(local_client):
    html = say(local_client, "KM คืออะไร")

    assert "chat-bubble-me" in html and "KM คืออะไร" in html
    assert 'class="flex-bubble"' in html
    assert "การจัดการความรู้ (KM) คืออะไร" in html
    assert re.search(r'<a class="flex-button flex-button-primary" href="http://localhost/kb/\d+\?from=web"', html)
    assert "👍 มีประโยชน์</button>" in html and "👎 ยังไม่ตรง</button>" in html
    assert re.search(r'name="postback" value="action=feedback&amp;article=\d+&amp;helpful=1"', html)
    assert 'class="quick-replies"' in html


def test_without_script_the_post_renders_the_whole_page(local_client):
    html = say(local_client, "KM คืออะไร", fragment=False)

    assert "<html" in html and 'class="flex-bubble"' in html


def test_an_unknown_question_is_answered_honestly_and_recorded_on_the_web_channel(local_app, local_client):
    html = say(local_client, "สูตรแกงเขียวหวานไก่")

    assert "ยังไม่พบคำตอบที่มั่นใจ" in html
    with get_database(local_app).session() as session:
        kinds = [(event.kind, event.channel) for event in session.scalars(select(InteractionEvent).order_by(InteractionEvent.id))]
    assert ("question", "web") in kinds and ("fallback", "web") in kinds


def test_a_question_tried_in_the_simulator_is_not_a_knowledge_gap_of_the_staff(local_app, local_client):
    say(local_client, "สูตรแกงเขียวหวานไก่")

    with get_database(local_app).session() as session:
        assert session.scalars(select(KnowledgeGap)).all() == []


def test_commands_work_in_the_simulator(local_client):
    html = say(local_client, "/help")

    assert "น้องบอท KM ช่วยอะไรได้บ้าง" in html
    assert 'class="chip"' in html


def test_pressing_thumbs_up_records_feedback(local_app, local_client):
    assert "feedback" in POSTBACK_ACTIONS, "the 👍/👎 buttons under an answer need the feedback action"
    answer = say(local_client, "KM คืออะไร")

    thanks = press(local_client, answer, "👍 มีประโยชน์")

    assert "ขอบคุณ" in thanks
    assert "chat-bubble-me" in thanks and "👍 มีประโยชน์" in thanks
    with get_database(local_app).session() as session:
        feedback = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "feedback")).one()
        user = session.get(User, feedback.user_id)
    assert feedback.value == 1 and feedback.channel == "web"
    assert user.line_user_id.startswith(SIMULATOR_USER_PREFIX)


def test_one_browser_is_one_person(local_app, local_client):
    say(local_client, "KM คืออะไร")
    say(local_client, "KMP มีกี่ขั้น")
    other = local_app.test_client()  # a second browser gets its own id
    say(other, "KM คืออะไร")

    with get_database(local_app).session() as session:
        people = session.scalars(select(User.line_user_id)).all()
    assert len(people) == 2 and all(person.startswith(SIMULATOR_USER_PREFIX) for person in people)


def test_posting_without_a_csrf_token_is_refused(local_client):
    assert local_client.post("/chat/send", data={"text": "KM คืออะไร"}).status_code == 400


def test_the_engine_can_be_driven_directly(local_app):
    config: Config = get_config(local_app)
    services = EventServices(get_database(local_app), config, None, get_search(local_app), "https://kmbot.example")
    user_id = new_simulator_user_id()

    exchange = simulate_text("KM คืออะไร", user_id, services)

    assert exchange.shown_as == "KM คืออะไร"
    [message] = exchange.replies
    assert message["type"] == "flex"
    assert "https://kmbot.example/kb/" in str(message["contents"])
    postback = simulate_postback("action=help", user_id, services, display_text="วิธีใช้")
    assert postback.shown_as == "วิธีใช้" and postback.replies[0]["type"] == "text"


# --- once LINE is configured ----------------------------------------------------------------


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def test_with_line_configured_home_is_a_landing_page_and_the_open_simulator_is_gone(client):
    page = client.get("/").get_data(as_text=True)

    assert "น้องบอท KM" in page and "/admin" in page and 'id="chat-text"' not in page
    assert client.post("/chat/send", data={"text": "KM คืออะไร"}).status_code == 404


def test_the_signed_in_simulator_answers_without_calling_line(client, database, starter_pack, line_stub):
    assert client.get("/admin/simulator").status_code == 302
    token = csrf_token_of(client.get("/admin/sign-in").get_data(as_text=True))
    client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD})

    page = client.get("/admin/simulator").get_data(as_text=True)
    assert 'action="/admin/simulator"' in page
    response = client.post("/admin/simulator", data={"csrf_token": csrf_token_of(page), "text": "KM คืออะไร"},
                           headers={"X-Requested-With": "fetch"})

    assert response.status_code == 200 and 'class="flex-bubble"' in response.get_data(as_text=True)
    assert line_stub.calls == []
