"""Every page carries the usual protective headers; no image from elsewhere reaches a reader (issue 16, finding 8)."""

from __future__ import annotations

import pytest

from bot.web.pages import render_markdown


@pytest.mark.parametrize("path", ["/", "/healthz", "/kb/1", "/kb/99999999999999999999", "/chat", "/fonts/nope", "/admin/sign-in"])
def test_every_response_has_csp_nosniff_and_frame_ancestors(client, path) -> None:
    response = client.get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"


def test_the_webhook_answer_has_them_too(webhook, line_events) -> None:
    response = webhook.send(line_events.text("/help"))
    assert response.headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("markdown", [
    "![pixel](https://tracker.example/p.gif?who=me)",
    '<img src="http://tracker.example/p.gif">',
    '<img src="//tracker.example/p.gif">',
    '<img src=" HTTPS://tracker.example/p.gif">',
    '<img srcset="https://tracker.example/p.gif 1x">',
])
def test_external_images_are_dropped_from_rendered_articles(markdown) -> None:
    assert "tracker.example" not in render_markdown(markdown)


def test_the_sites_own_images_stay() -> None:
    assert 'src="/static/logo.png"' in render_markdown("![logo](/static/logo.png)")


def test_a_done_note_with_a_pixel_does_not_reach_the_public_plan_article(client, database, webhook, line_events, imported_plan) -> None:
    from sqlalchemy import select

    from bot.core.people import ensure_user
    from kb.tables import Article

    member = "U1212121212121212121212121212abab"
    with database.session() as session:
        ensure_user(session, member, database_now()).role = "committee"
    activity_id = next(iter(imported_plan.values()))
    webhook.send(line_events.text(f"/done {activity_id} ![x](https://tracker.example/p.gif)", line_events.user(member)))
    with database.session() as session:
        ids = session.scalars(select(Article.id).where(Article.status == "published")).all()
    pages = "".join(client.get(f"/kb/{article_id}").get_data(as_text=True) for article_id in ids)
    assert "tracker.example/p.gif\"" not in pages and "src=\"https://tracker" not in pages


def database_now():  # type: ignore[no-untyped-def]
    from bot.core.calendar import now

    return now()
