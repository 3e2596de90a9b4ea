"""/admin sessions end on the server, and guessing is slowed without locking the secretary out (issue 16, findings 5 and 6)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot import create_app
from bot.core.calendar import now
from bot.core.tables import AdminSession, SignInThrottleBucket

PASSWORD = "รหัส-ทดสอบ-2567"


@pytest.fixture
def admin_app(app_config):  # type: ignore[no-untyped-def]
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    application = create_app({**app_config, "admin_password": PASSWORD})
    application.config["TESTING"] = True
    upgrade_database(get_database(application))
    yield application
    get_database(application).dispose()


def csrf(client, path: str = "/admin/sign-in") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def sign_in(client, password: str = PASSWORD, address: str = "192.0.2.1"):  # type: ignore[no-untyped-def]
    environ = {"REMOTE_ADDR": address}
    token = csrf(client)
    return client.post("/admin/sign-in", data={"csrf_token": token, "password": password}, environ_base=environ)


def session_cookie(client) -> str:  # type: ignore[no-untyped-def]
    return client.get_cookie("kmbot_session").value


def test_a_copied_cookie_stops_working_when_the_owner_signs_out(admin_app) -> None:
    owner = admin_app.test_client()
    assert sign_in(owner).status_code == 302
    thief = admin_app.test_client()
    thief.set_cookie("kmbot_session", session_cookie(owner))
    assert thief.get("/admin/kb").status_code == 200

    owner.post("/admin/sign-out", data={"csrf_token": csrf(owner, "/admin/kb")})

    assert thief.get("/admin/kb").status_code == 302


def test_sign_out_in_one_browser_ends_the_sessions_of_the_others(admin_app) -> None:
    first, second = admin_app.test_client(), admin_app.test_client()
    sign_in(first), sign_in(second)
    first.post("/admin/sign-out", data={"csrf_token": csrf(first, "/admin/kb")})
    assert second.get("/admin/kb").status_code == 302


def test_a_new_password_ends_every_session(admin_app, app_config) -> None:
    from bot.web.extensions import get_database

    browser = admin_app.test_client()
    sign_in(browser)
    cookie = session_cookie(browser)
    changed = create_app({**app_config, "admin_password": "another-long-password"})
    changed.extensions["kmbot.database"] = get_database(admin_app)
    other = changed.test_client()
    other.set_cookie("kmbot_session", cookie)
    assert other.get("/admin/kb").status_code == 302


def test_a_session_ends_twelve_hours_after_sign_in_however_much_it_is_used(admin_app) -> None:
    browser = admin_app.test_client()
    sign_in(browser)
    start = now()
    for hours in (4, 8, 11):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            assert browser.get("/admin/kb").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert browser.get("/admin/kb").status_code == 302


def test_a_stranger_on_the_same_address_never_locks_out_a_browser_that_signed_in_before(admin_app) -> None:
    secretary = admin_app.test_client()
    assert sign_in(secretary).status_code == 302
    secretary.post("/admin/sign-out", data={"csrf_token": csrf(secretary, "/admin/kb")})

    stranger = admin_app.test_client()
    statuses = [sign_in(stranger, "guess-%d" % attempt).status_code for attempt in range(40)]
    assert statuses[:5] == [401] * 5 and 429 in statuses  # the guesser is slowed down

    # Same office address, but the secretary's browser carries its device cookie.
    assert sign_in(secretary).status_code == 302


def test_guesses_from_many_addresses_are_slowed_overall(admin_app) -> None:
    guesser = admin_app.test_client()
    statuses = [sign_in(guesser, "guess", address=f"198.51.100.{n}").status_code for n in range(60)]
    assert statuses.count(401) <= 21 and statuses.count(429) >= 39


def test_the_wait_grows_and_ends(admin_app) -> None:
    guesser = admin_app.test_client()
    start = now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert sign_in(guesser, "wrong").status_code == 401
        assert sign_in(guesser, "wrong").status_code == 429
    with time_machine.travel(start + timedelta(minutes=1, seconds=1), tick=False):
        assert sign_in(guesser, "wrong").status_code == 401  # the sixth guess, after a minute
        assert sign_in(guesser, "wrong").status_code == 429  # now two minutes
    with time_machine.travel(start + timedelta(minutes=2, seconds=30), tick=False):
        assert sign_in(guesser, "wrong").status_code == 429
    with time_machine.travel(start + timedelta(minutes=3, seconds=2), tick=False):
        assert sign_in(guesser).status_code == 302


def test_the_throttle_table_stays_bounded(admin_app) -> None:
    from bot.web.admin import auth
    from bot.web.extensions import get_database

    database = get_database(admin_app)
    moment = now()
    with database.session() as session:
        for n in range(auth.MAX_BUCKETS + 200):
            auth.record_failure(session, [(f"address:10.0.{n // 250}.{n % 250}", auth.PER_ADDRESS)], moment)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottleBucket)) <= auth.MAX_BUCKETS
    with time_machine.travel(moment + timedelta(hours=3), tick=False):
        sign_in(admin_app.test_client(), "wrong", address="10.9.9.9")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottleBucket)) <= 2


def test_the_throttle_is_shared_between_processes(admin_app, app_config) -> None:
    from bot.web.extensions import get_database

    second_process = create_app({**app_config, "admin_password": PASSWORD})
    second_process.config["TESTING"] = True
    first, second = admin_app.test_client(), second_process.test_client()
    for _ in range(3):
        sign_in(first, "wrong")
    for _ in range(2):
        sign_in(second, "wrong")
    assert sign_in(first, "wrong").status_code == 429
    get_database(second_process).dispose()


def test_a_short_admin_password_opens_nothing(app_config) -> None:
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    weak = create_app({**app_config, "admin_password": "k"})
    weak.config["TESTING"] = True
    upgrade_database(get_database(weak))
    client = weak.test_client()
    page = client.get("/admin/sign-in")
    assert page.status_code == 503 and "KMBOT_ADMIN_PASSWORD" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    response = client.post("/admin/sign-in", data={"csrf_token": token.group(1) if token else "", "password": "k"})
    assert response.status_code in (400, 503)
    assert client.get("/admin/kb").status_code == 302


def test_sessions_are_kept_as_hashes_only(admin_app) -> None:
    from bot.web.extensions import get_database

    browser = admin_app.test_client()
    sign_in(browser)
    with get_database(admin_app).session() as session:
        rows = session.scalars(select(AdminSession)).all()
    assert len(rows) == 1 and PASSWORD not in rows[0].password_proof


def test_the_cookie_key_is_never_the_password_alone() -> None:
    from bot.core.config import Config
    from bot.web.security import session_secret_key

    keys = {session_secret_key(Config(admin_password="km2567-long-pass")) for _ in range(3)}
    assert len(keys) == 3
