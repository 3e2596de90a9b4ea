"""`kmbot kb ...`: manage the knowledge store from the terminal (`kmbot ask` is in bot/cli/ask.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from bot.cli.output import print_rows
from bot.web.extensions import get_database
from kb.store import (
    ImportOutcome,
    import_files,
    list_articles,
    passage_counts,
    remove_article,
)


@click.group("kb")
def kb_group() -> None:
    """The knowledge store."""


@kb_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of each file as JSON.")
@with_appcontext
def kb_import_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Import .md, .txt, .docx and .html files (a folder imports every such file in it).

    Importing the same file again updates its article. A file that cannot be read is
    reported and the others are still imported.
    """
    from kb.ingest import SUPPORTED_EXTENSIONS

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(child for child in path.rglob("*") if child.suffix.lower() in SUPPORTED_EXTENSIONS))
        else:
            files.append(path)
    database = get_database()
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    with Progress(console=console, transient=True, disable=as_json) as progress:
        task = progress.add_task("importing", total=len(files))
        outcomes = import_files(database.session, files, on_progress=lambda outcome: progress.advance(task))
    failed = [outcome for outcome in outcomes if outcome.outcome == "failed"]
    if as_json:
        click.echo(json.dumps([outcome.__dict__ for outcome in outcomes], ensure_ascii=False, indent=2))
    else:
        _print_outcomes(outcomes)
    if failed:
        raise SystemExit(1)


def _print_outcomes(outcomes: list[ImportOutcome]) -> None:
    print_rows(
        [
            {"path": outcome.path, "outcome": outcome.outcome, "id": outcome.article_id, "title": outcome.title,
             "passages": outcome.passages if outcome.outcome != "failed" else None, "error": outcome.error}
            for outcome in outcomes
        ],
        [("path", "ไฟล์"), ("outcome", "ผล"), ("id", "รหัส"), ("title", "ชื่อเรื่อง"), ("passages", "ย่อหน้า"), ("error", "ข้อผิดพลาด")],
        as_json=False,
        title="นำเข้าความรู้ (knowledge import)",
    )


@kb_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def kb_list_command(as_json: bool) -> None:
    """Every article with its status and number of passages."""
    with get_database().session() as session:
        counts = passage_counts(session)
        rows = [
            {"id": article.id, "title": article.title, "category": article.category, "status": article.status,
             "passages": counts.get(article.id, 0), "source": article.source, "updated_at": article.updated_at.isoformat()}
            for article in list_articles(session)
        ]
    print_rows(rows, [("id", "รหัส"), ("title", "ชื่อเรื่อง"), ("category", "หมวด"), ("status", "สถานะ"), ("passages", "ย่อหน้า"), ("source", "ที่มา")],
               as_json=as_json, title="คลังความรู้ (knowledge store)")


@kb_group.command("show")
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def kb_show_command(article_id: int, as_json: bool) -> None:
    """One article with its passages."""
    from kb.tables import Article

    with get_database().session() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise click.ClickException(f"ไม่พบบทความหมายเลข {article_id} / no article {article_id} (ดู `kmbot kb list`)")
        data = {
            "id": article.id, "title": article.title, "category": article.category, "status": article.status,
            "tags": article.tags, "aliases": article.aliases, "sample_questions": article.sample_questions,
            "source": article.source, "content_hash": article.content_hash,
            "passages": [{"id": passage.id, "heading_path": passage.heading_path, "text": passage.text} for passage in article.passages],
        }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    console = Console()
    console.print(f"[bold]#{data['id']} {data['title']}[/bold]  [{data['status']}]  {data['category']}")
    console.print(f"source: {data['source']}", style="dim")
    for passage in data["passages"]:
        console.print(f"\n[cyan]{' › '.join(passage['heading_path'])}[/cyan]")
        console.print(passage["text"])


@kb_group.command("remove")
@click.argument("article_id", type=int)
@with_appcontext
def kb_remove_command(article_id: int) -> None:
    """Delete an article and its passages."""
    with get_database().session() as session:
        if not remove_article(session, article_id):
            raise click.ClickException(f"ไม่พบบทความหมายเลข {article_id} / no article {article_id} (ดู `kmbot kb list`)")
    click.echo(f"ลบบทความหมายเลข {article_id} แล้ว / article {article_id} removed")
