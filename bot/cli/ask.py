"""`kmbot ask`: answer a question from the knowledge store, as the bot would.

Answering needs the database and the search index, nothing else of the app: run as `kmbot ask`
the command builds no app (its entry in `bot.cli.COMMAND_TABLE` says `app=False`), so Flask, the
configuration's public holidays and the store's other commands are never loaded. The index comes
from its file (kb/search_service.py) and the segmenter's dictionary from its kept file
(kb/tokenizer.py): a question costs the imports, those two loads and the answer itself
(docs/performance.md). Inside an app (`flask --app bot ask`, tests) it uses that app's database.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.core.database import Database
    from kb.search_service import KnowledgeSearch


@click.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ask_command(question: str, as_json: bool) -> None:
    """Answer QUESTION from the knowledge store, as the bot would."""
    from kb.answering import find_answer

    database, search = _database_and_search()
    with database.session() as session:
        answer = find_answer(session, search, question)
    if as_json:
        click.echo(json.dumps(answer.as_json(), ensure_ascii=False))
        return
    _print_answer(answer)


def _database_and_search() -> tuple["Database", "KnowledgeSearch"]:
    """The app's database and search when the command runs in an app, else made from the environment
    (`DATABASE_URL`, read from .env by `kmbot` before any command runs)."""
    app = _running_app()
    if app is not None:
        from bot.web.extensions import get_database, get_search

        return get_database(app), get_search(app)
    from bot.core.config import DEFAULT_DATABASE_URL, normalize_database_url
    from bot.core.database import Database
    from kb.search_service import KnowledgeSearch

    return Database(normalize_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)), KnowledgeSearch()


def _running_app() -> Any:
    """The Flask app this command runs in, with its context pushed; None under `kmbot` itself."""
    if "flask" not in sys.modules:
        return None  # `kmbot ask`: nothing has made an app, and none is needed
    from flask import current_app
    from flask.cli import ScriptInfo

    if current_app:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    context = click.get_current_context()
    info = context.find_object(ScriptInfo)
    if info is None:
        return None
    app = info.load_app()
    context.with_resource(app.app_context())
    return app


def _print_answer(answer: Any) -> None:
    from rich.console import Console

    console = Console()
    if not answer.answered:
        console.print(f"[yellow]ไม่พบคำตอบที่มั่นใจ[/yellow] (confidence {answer.confidence:.2f})")
        for topic in answer.close_topics:
            console.print(f"  • {topic}")
        return
    console.print(f"[bold]{answer.title}[/bold]  (confidence {answer.confidence:.2f})")
    if answer.heading_path:
        console.print(" › ".join(answer.heading_path), style="dim")
    console.print(answer.text)
    console.print("sources: " + ", ".join(f"#{source.article_id} {source.title} ({source.score:.2f})" for source in answer.sources[:3]), style="dim")
