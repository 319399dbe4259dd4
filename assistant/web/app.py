"""The Lessons web app: `build_app(settings)` makes the Gradio Blocks, `serve(settings)` runs it.

Named API endpoints (for gradio_client and scripts), each a thin wrapper over assistant.web.api:
  /ask       (question, history_json, filters_json, role) -> (answer_markdown, citations)
  /coverage  (text, filters_json) -> rows
  /documents () -> rows
  /feedback  (rating, question, answer, citations_json, role) -> message
  /upload    (file, file_name, title, organisation, year) -> (message, documents_table)  [the UI's form; returns
             once the file is queued: it is ingested in the background]
  /ingest_status () -> uploads of this server (id, file_name, state, message, progress, doc_id, passages)
  /document_report (doc_id) -> that document's ingestion report ({} when not indexed)
"""

from __future__ import annotations

import json

import gradio as gr

from assistant.web import api
from assistant.web.context import AppContext
from assistant.web.map_tab import map_tab
from assistant.web.render import answer_text
from assistant.web.tabs import ask_tab, coverage_tab, document_table, documents_tab, refresh_filter_choices
from assistant.web.tracker_tab import tracker_tab
from ingest.settings import Settings

CSS = """
.source-cards { margin-top: .6em; }
.sources-label { font-weight: 600; margin: .2em 0 .3em; opacity: .8; }
details.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .35em .7em; margin: .35em 0; background: var(--background-fill-secondary); }
details.source-card > summary { cursor: pointer; font-size: .92em; }
details.source-card blockquote { margin: .5em 0; padding-left: .7em; border-left: 3px solid var(--color-accent); }
details.source-card .source-meta { display: inline-block; margin-right: .9em; font-size: .85em; }
details.source-card p { font-size: .9em; }
details.source-card mark { background: #fff2a8; color: inherit; }
"""


def _register_api(ctx: AppContext) -> None:
    """JSON endpoints that do not need UI components (callable with gradio_client)."""

    def ask(question: str, history_json: str = "[]", filters_json: str = "{}", role: str = "") -> tuple[str, list]:
        """Answer a question; returns the answer as Markdown and its citations."""
        answer = api.ask(
            ctx,
            question,
            history=api.parse_history(history_json),
            filters=api.parse_filters(filters_json),
            role=role,
        )
        return answer_text(answer), [c.model_dump() for c in answer.citations]

    def coverage(text: str, filters_json: str = "{}") -> list:
        """Coverage check of one finding or recommendation per line; returns one row per line."""
        rows = api.coverage(ctx, text, filters=api.parse_filters(filters_json))
        return [r.model_dump() for r in rows]

    def documents() -> list:
        """The indexed documents with catalog metadata and passage counts."""
        return [d.model_dump() for d in api.documents(ctx)]

    def feedback(rating: str, question: str, answer: str, citations_json: str = "[]", role: str = "") -> str:
        """Record a thumbs up ("up") or down ("down") for an answer."""
        if rating not in ("up", "down"):
            raise gr.Error('rating must be "up" or "down"')
        citations = json.loads(citations_json or "[]")
        path = api.feedback(ctx, rating=rating, question=question, answer=answer, citations=citations, role=role)
        return f"Feedback recorded in {path.name}"

    def ingest_status() -> list:
        """The uploads of this server, oldest first: state (queued, ingesting, added, refused) and progress."""
        return [job.model_dump() for job in api.ingest_status(ctx)]

    def document_report(doc_id: str) -> dict:
        """A document's ingestion report (pages, furniture removed, footnotes, tables, passages by kind)."""
        record = api.document_report(ctx, doc_id)
        return record.report.model_dump() if record else {}

    gr.api(ingest_status, api_name="ingest_status")
    gr.api(document_report, api_name="document_report")
    gr.api(ask, api_name="ask", concurrency_id="answer", concurrency_limit=ctx.settings.server.answer_concurrency)
    gr.api(coverage, api_name="coverage", concurrency_id="answer")
    gr.api(documents, api_name="documents")
    gr.api(feedback, api_name="feedback")


def build_app(settings: Settings, *, context: AppContext | None = None) -> gr.Blocks:
    """The Gradio app (three tabs plus API endpoints); the index opens on first use unless a context is given."""
    ctx = context or AppContext(settings)
    with gr.Blocks(title="Lessons — evaluation evidence on trafficking and migrant protection") as app:
        gr.Markdown(
            "## Lessons\nAnswers from past evaluations of counter-trafficking and migrant-protection "
            "programmes, with every claim cited to the report it comes from."
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                dropdowns = ask_tab(ctx)
            with gr.Tab("Coverage check", id="coverage"):
                coverage_tab(ctx)
            tracker_tab(ctx)
            map_tab(ctx)
            with gr.Tab("Documents", id="documents"):
                table = documents_tab(ctx, dropdowns)
        _register_api(ctx)
        app.load(lambda: refresh_filter_choices(ctx), None, dropdowns, api_visibility="private")
        app.load(lambda: document_table(ctx), None, [table], api_visibility="private")
    app.queue(default_concurrency_limit=settings.server.answer_concurrency, max_size=settings.server.queue_size)
    return app


def launch_options(settings: Settings) -> dict:
    """Keyword arguments for `Blocks.launch` that every way of serving shares (auth, styling, upload cap)."""
    server = settings.server
    auth = (server.username, server.password) if server.username and server.password else None
    return {
        "auth": auth,
        "auth_message": "Lessons — sign in with the shared account." if auth else None,
        "css": CSS,
        "theme": gr.themes.Soft(),
        "footer_links": ["api"],
        # Gradio refuses anything far beyond the ingest limit; the app itself explains refusals below it.
        "max_file_size": f"{int(settings.ingest.max_file_mb * 2 + 1)}mb",
    }


def serve(settings: Settings, *, host: str | None = None, port: int | None = None, block: bool = True) -> gr.Blocks:
    """Load the index and models once, then serve the app (on settings.server.host:port unless given).

    With block=False the server runs in a background thread and the running app is returned (call .close()).
    """
    ctx = AppContext(settings)
    _ = ctx.index  # load models and index before the first visitor
    app = build_app(settings, context=ctx)
    app.launch(
        server_name=host or settings.server.host,
        server_port=port or settings.server.port,
        prevent_thread_lock=not block,
        quiet=not block,
        **launch_options(settings),
    )
    return app
