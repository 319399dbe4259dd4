"""The Documents tab's live parts: the background ingestion's progress (polled by a timer) and the ingestion
report of the document selected in the table."""

from __future__ import annotations

from collections.abc import Callable

import gradio as gr

from assistant.web import api
from assistant.web.context import AppContext
from assistant.web.render import ingest_status_html, report_markdown


def ingest_status_panel(ctx: AppContext, outputs: list, when_added: Callable[[], list]) -> gr.HTML:
    """Progress of the uploads in the background, refreshed every `server.status_poll_s` seconds; when another
    upload has entered the index, `outputs` get `when_added()` (the documents table, the filter choices)."""
    status = gr.HTML(ingest_status_html(ctx.ingest_queue.jobs()), elem_id="ingest-progress")
    seen = gr.State(_added(ctx))
    timer = gr.Timer(ctx.settings.server.status_poll_s)

    def tick(seen_added: int):
        jobs, added = ctx.ingest_queue.jobs(), _added(ctx)
        changed = when_added() if added != seen_added else [gr.update() for _ in outputs]
        return [ingest_status_html(jobs), added, *changed]

    timer.tick(tick, [seen], [status, seen, *outputs], api_visibility="private", queue=False, show_progress="hidden")
    return status


def _added(ctx: AppContext) -> int:
    return sum(1 for job in ctx.ingest_queue.jobs() if job.state == "added")


def document_report_view(ctx: AppContext, table: gr.Dataframe) -> gr.Markdown:
    """Selecting a row of the documents table shows that document's ingestion report."""
    report = gr.Markdown("Select a document in the table to see its ingestion report.", elem_id="document-report")

    def show(event: gr.SelectData):
        cells = {str(cell) for cell in (event.row_value or [])}
        docs = api.documents(ctx)
        found = [d for d in docs if d.title in cells and d.file in cells]
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        doc = found[0] if found else (docs[int(row)] if not cells and 0 <= int(row) < len(docs) else None)
        record = api.document_report(ctx, doc.doc_id) if doc else None
        return report_markdown(record) if record else "That document is no longer in the index."

    table.select(show, None, [report], api_visibility="private", queue=False)
    return report
