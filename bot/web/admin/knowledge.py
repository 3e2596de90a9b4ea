"""The knowledge store in the browser: list, write and edit articles, knowledge gaps, shared tips.

The editor writes an article the same way `kmbot kb import` reads a Markdown file: the form's
fields become YAML front matter over the Markdown body, and `kb.ingest.parse_text` turns that
into passages, so an article written here is searched exactly like an imported one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import frontmatter
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.core.calendar import format_thai_date, format_thai_datetime, now, to_bangkok
from bot.core.tables import User
from bot.web.admin import blueprint
from bot.web.admin.paging import paginate
from bot.web.extensions import get_database
from bot.web.pages import render_markdown
from kb.gaps import dismiss_gap, merge_gap, top_gaps
from kb.ingest import parse_text
from kb.parsed import IngestError
from kb.store import remove_article, save_document, set_status
from kb.tables import ARTICLE_STATUSES, Article, KnowledgeGap, Passage, SharedTip

EDITOR_SOURCE_PREFIX = "editor:"
MAX_GAPS_SHOWN = 100
STATUS_NAMES = {"published": "เผยแพร่แล้ว", "draft": "ฉบับร่าง"}
TIP_STATUS_NAMES = {"pending": "รอตรวจ", "approved": "อนุมัติแล้ว", "rejected": "ไม่อนุมัติ"}
BODY_TEMPLATE = "## ความรู้โดยสรุป\n\n\n\n## ขั้นตอน / วิธีปฏิบัติ\n\n1. \n"


@dataclass
class ArticleForm:
    """What the editor shows and posts; lists are typed one item a line (questions) or with commas."""

    title: str = ""
    category: str = ""
    tags: str = ""
    aliases: str = ""
    questions: str = ""
    body: str = ""
    status: str = "published"
    gap_id: int | None = None
    tip_id: int | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls) -> "ArticleForm":
        form = request.form
        status = form.get("status", "published")
        return cls(
            title=" ".join(form.get("title", "").split()),
            category=" ".join(form.get("category", "").split()),
            tags=form.get("tags", "").strip(),
            aliases=form.get("aliases", "").strip(),
            questions=form.get("questions", "").strip(),
            body=form.get("body", "").replace("\r\n", "\n").strip(),
            status=status if status in ARTICLE_STATUSES else "draft",
            gap_id=_optional_id(form.get("gap_id")),
            tip_id=_optional_id(form.get("tip_id")),
        )

    @classmethod
    def from_article(cls, article: Article) -> "ArticleForm":
        return cls(
            title=article.title,
            category=article.category or "",
            tags=", ".join(article.tags or []),
            aliases=", ".join(article.aliases or []),
            questions="\n".join(article.sample_questions or []),
            body=article.body,
            status=article.status,
        )

    def markdown_document(self) -> str:
        """The article as a Markdown file with front matter, as `kmbot kb import` would read it."""
        metadata: dict[str, object] = {"title": self.title, "status": self.status}
        if self.category:
            metadata["category"] = self.category
        for name, items in (("tags", _comma_items(self.tags)), ("aliases", _comma_items(self.aliases)),
                            ("questions", _line_items(self.questions))):
            if items:
                metadata[name] = items
        return frontmatter.dumps(frontmatter.Post(self.body, **metadata), sort_keys=False) + "\n"

    def validate(self) -> bool:
        self.errors = []
        if not self.title:
            self.errors.append("กรุณาใส่ชื่อบทความ")
        if not self.body:
            self.errors.append("กรุณาใส่เนื้อหาบทความ")
        return not self.errors


def _comma_items(text: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in text.replace("\n", ",").split(",") if item.strip()))


def _line_items(text: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))


def _optional_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- articles -------------------------------------------------------------------------------


ARTICLES_PER_PAGE = 100
TIPS_PER_PAGE = 25


@blueprint.get("/kb")
def articles() -> str:
    with get_database().session() as session:
        page = paginate(
            session,
            select(Article, func.count(Passage.id)).outerjoin(Passage).group_by(Article.id).order_by(Article.updated_at.desc(), Article.id.desc()),
            ARTICLES_PER_PAGE, scalars=False,
        )
        rows = page.items
        items = [
            {"id": article.id, "title": article.title, "category": article.category, "status": article.status,
             "status_name": STATUS_NAMES.get(article.status, article.status), "passages": passages,
             "updated": format_thai_date(to_bangkok(article.updated_at).date(), "arabic")}
            for article, passages in rows
        ]
    return render_template("admin/articles.html", articles=items, page=page)


@blueprint.get("/kb/new")
def new_article() -> str:
    form = ArticleForm(body=BODY_TEMPLATE)
    with get_database().session() as session:
        gap = session.get(KnowledgeGap, _optional_id(request.args.get("gap")) or 0)
        tip = session.get(SharedTip, _optional_id(request.args.get("tip")) or 0)
        if gap is not None:
            form.title = gap.question
            form.questions = gap.question
            form.gap_id = gap.id
        if tip is not None:
            form.title = _first_line(tip.text)
            form.body = tip.text.strip() + "\n"
            form.tip_id = tip.id
    return render_template("admin/editor.html", form=form, article_id=None, preview=None)


@blueprint.post("/kb/new")
def create_article() -> ResponseReturnValue:
    return _save(None)


@blueprint.get("/kb/<int:article_id>/edit")
def edit_article(article_id: int) -> str:
    with get_database().session() as session:
        article = session.get(Article, article_id)
        if article is None:
            abort(404)
        form = ArticleForm.from_article(article)
        source = article.source
    return render_template("admin/editor.html", form=form, article_id=article_id, preview=None, source=source)


@blueprint.post("/kb/<int:article_id>/edit")
def update_article(article_id: int) -> ResponseReturnValue:
    return _save(article_id)


def _save(article_id: int | None) -> ResponseReturnValue:
    form = ArticleForm.from_request()
    wants_preview = request.form.get("action") == "preview"
    if not form.validate():
        return render_template("admin/editor.html", form=form, article_id=article_id, preview=None), 422
    if wants_preview:
        return render_template("admin/editor.html", form=form, article_id=article_id, preview=render_markdown(form.body))
    with get_database().session() as session:
        if article_id is not None:
            article = session.get(Article, article_id)
            if article is None:
                abort(404)
            source = article.source
        else:
            source = EDITOR_SOURCE_PREFIX + secrets.token_hex(8)
        try:
            document = parse_text(form.markdown_document(), source=source, kind="markdown")
        except IngestError as error:
            form.errors.append(str(error))
            return render_template("admin/editor.html", form=form, article_id=article_id, preview=None), 422
        saved = save_document(session, document, source=source)
        _link_origin(session, form, saved.article_id)
    flash("บันทึกบทความแล้ว" + (" และเผยแพร่ให้น้องบอทใช้ตอบแล้วค่ะ" if form.status == "published" else " (ฉบับร่าง ยังไม่ใช้ตอบคำถาม)"), "success")
    return redirect(url_for("admin.edit_article", article_id=saved.article_id))


def _link_origin(session: Session, form: ArticleForm, article_id: int) -> None:
    """An article written from a gap closes the gap; one written from a tip approves the tip."""
    if form.gap_id is not None:
        gap = session.get(KnowledgeGap, form.gap_id)
        if gap is not None:
            gap.resolved_article_id = article_id
    if form.tip_id is not None:
        tip = session.get(SharedTip, form.tip_id)
        if tip is not None:
            tip.status = "approved"
            tip.article_id = article_id
            tip.reviewed_at = now()


@blueprint.post("/kb/<int:article_id>/status")
def change_article_status(article_id: int) -> Response:
    status = request.form.get("status", "")
    if status not in ARTICLE_STATUSES:
        abort(400)
    with get_database().session() as session:
        article = set_status(session, article_id, status)
        if article is None:
            abort(404)
        title = article.title
    flash(f"“{title}” {'เผยแพร่แล้ว' if status == 'published' else 'เปลี่ยนเป็นฉบับร่างแล้ว น้องบอทจะไม่ใช้ตอบคำถาม'}ค่ะ", "success")
    if request.form.get("back") == "edit":
        return redirect(url_for("admin.edit_article", article_id=article_id))
    return redirect(url_for("admin.articles"))


@blueprint.post("/kb/<int:article_id>/delete")
def delete_article(article_id: int) -> Response:
    with get_database().session() as session:
        if not remove_article(session, article_id):
            abort(404)
    flash("ลบบทความแล้วค่ะ", "success")
    return redirect(url_for("admin.articles"))


# --- a document uploaded in the browser -------------------------------------------------------

UPLOAD_SOURCE_PREFIX = "upload:"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@blueprint.post("/kb/upload")
def upload_document() -> Response:
    """A .md, .docx, .html or .txt file becomes an article, read as `kmbot kb import` reads it;
    uploading a file of the same name again updates that article instead of adding another."""
    import tempfile
    from pathlib import Path

    from kb.ingest import parse_file

    upload = request.files.get("document")
    name = Path((upload.filename if upload else "") or "").name[:150]
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload and name else b""
    if not data:
        flash("ยังไม่ได้เลือกไฟล์ หรือไฟล์ว่างเปล่าค่ะ", "error")
        return redirect(url_for("admin.articles"))
    if len(data) > MAX_UPLOAD_BYTES:
        flash("ไฟล์ใหญ่เกิน 10 MB ค่ะ", "error")
        return redirect(url_for("admin.articles"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            document = parse_file(path)
        except IngestError as error:
            flash(str(error).replace(str(path), name).replace(folder, ""), "error")
            return redirect(url_for("admin.articles"))
    with get_database().session() as session:
        saved = save_document(session, document, source=UPLOAD_SOURCE_PREFIX + name)
    done = {"created": "นำเข้า", "updated": "ปรับปรุง", "unchanged": "ไฟล์นี้นำเข้าไว้แล้ว ไม่มีการเปลี่ยนแปลง:"}
    flash(f"{done.get(saved.outcome, 'นำเข้า')} “{name}” แล้วค่ะ ตรวจทานเนื้อหาด้านล่างได้", "success")
    return redirect(url_for("admin.edit_article", article_id=saved.article_id))


# --- knowledge gaps -------------------------------------------------------------------------


@blueprint.get("/gaps")
def gaps() -> str:
    with get_database().session() as session:
        items = [
            {"id": gap.id, "question": gap.question, "count": gap.count,
             "first": format_thai_date(to_bangkok(gap.first_asked_at).date(), "arabic"), "last": format_thai_datetime(gap.last_asked_at, "arabic")}
            for gap in top_gaps(session, MAX_GAPS_SHOWN)
        ]
    return render_template("admin/gaps.html", gaps=items)


def _gap_or_404(session: Session, gap_id: int) -> KnowledgeGap:
    gap = session.get(KnowledgeGap, gap_id)
    if gap is None:
        abort(404)
    return gap


@blueprint.post("/gaps/<int:gap_id>/dismiss")
def dismiss_gap_view(gap_id: int) -> Response:
    with get_database().session() as session:
        gap = _gap_or_404(session, gap_id)
        dismiss_gap(session, gap)
        flash(f"ซ่อน “{gap.question}” แล้วค่ะ ไม่นับเป็นคำถามที่ยังตอบไม่ได้ แม้มีคนถามอีก", "success")
    return redirect(url_for("admin.gaps"))


@blueprint.post("/gaps/<int:gap_id>/merge")
def merge_gap_view(gap_id: int) -> Response:
    into_id = _optional_id(request.form.get("into"))
    with get_database().session() as session:
        gap = _gap_or_404(session, gap_id)
        into = session.get(KnowledgeGap, into_id or 0)
        if into is None or into.id == gap.id:
            flash("โปรดเลือกคำถามอื่นที่จะรวมเข้าด้วยกันค่ะ", "error")
            return redirect(url_for("admin.gaps"))
        merge_gap(session, gap, into)
        flash(f"รวม “{gap.question}” เข้ากับ “{into.question}” แล้วค่ะ", "success")
    return redirect(url_for("admin.gaps"))


# --- shared tips ----------------------------------------------------------------------------


@blueprint.get("/tips")
def tips() -> str:
    with get_database().session() as session:
        page = paginate(session, select(SharedTip).where(SharedTip.status == "pending").order_by(SharedTip.created_at, SharedTip.id),
                        TIPS_PER_PAGE)
        pending = page.items
        reviewed = session.scalars(
            select(SharedTip).where(SharedTip.status != "pending").order_by(SharedTip.reviewed_at.desc()).limit(20)
        ).all()
        roles = dict(session.execute(select(User.id, User.role)).all())
        pending_items = [_tip_view(tip, roles) for tip in pending]
        reviewed_items = [_tip_view(tip, roles) for tip in reviewed]
    return render_template("admin/tips.html", pending=pending_items, reviewed=reviewed_items, page=page)


def _tip_view(tip: SharedTip, roles: dict[int, str]) -> dict[str, object]:
    return {
        "id": tip.id,
        "text": tip.text,
        "status": tip.status,
        "status_name": TIP_STATUS_NAMES.get(tip.status, tip.status),
        "created": format_thai_datetime(tip.created_at, "arabic"),
        "reviewed": format_thai_datetime(tip.reviewed_at, "arabic") if tip.reviewed_at else "",
        # People are shown by their number in kmbot, never by their LINE id.
        "sender": f"ผู้ใช้หมายเลข {tip.user_id}" if tip.user_id else "ไม่ทราบผู้ส่ง",
        "article_id": tip.article_id,
    }


@blueprint.post("/tips/<int:tip_id>/reject")
def reject_tip(tip_id: int) -> Response:
    with get_database().session() as session:
        tip = session.get(SharedTip, tip_id)
        if tip is None:
            abort(404)
        tip.status = "rejected"
        tip.reviewed_at = now()
    flash("บันทึกว่าไม่อนุมัติเกร็ดความรู้นี้แล้วค่ะ", "success")
    return redirect(url_for("admin.tips"))


def _first_line(text: str, limit: int = 120) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
