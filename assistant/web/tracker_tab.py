"""The Recommendations tab: every recommendation with management's response, filters on each column, the
recurring recommendations, and the filtered set as a DOCX brief."""

from __future__ import annotations

import threading

import gradio as gr

from assistant.evidence.source import Tracker, tracker_from_snapshot
from assistant.evidence.tracker import RESPONSES, RecommendationRow, filter_rows
from assistant.web.briefs import rows_docx
from assistant.web.context import AppContext
from ingest.models import Filters
from ingest.themes import TaxonomyError, load_taxonomy

HEADERS = ["Document", "Evaluation", "Year", "Countries", "Themes", "Addressed to", "Recommendation", "Response",
           "Actions", "Status"]
RECURRING_HEADERS = ["Recommendation", "Evaluations", "Years", "Said in"]
UNKNOWN = "unknown"


class TrackerCache:
    """The tracker of the app's current snapshot, rebuilt when the index changes."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._tracker: Tracker | None = None
        self._lock = threading.Lock()

    def get(self) -> Tracker:
        snapshot = self.ctx.index.snapshot
        with self._lock:
            if self._tracker is None or self._tracker.fingerprint != snapshot.fingerprint:
                self._tracker = tracker_from_snapshot(snapshot, self.ctx.settings)
            return self._tracker


def theme_labels(ctx: AppContext) -> dict[str, str]:
    """Theme id -> English label (the id itself when the taxonomy cannot be read)."""
    try:
        return {t.id: t.label("en") for t in load_taxonomy(ctx.settings.themes.taxonomy).themes}
    except TaxonomyError:
        return {}


def table(rows: list[RecommendationRow], labels: dict[str, str]) -> list[list]:
    """Rows as table cells."""
    return [[r.title, r.evaluation, r.year or "", ", ".join(r.countries), ", ".join(labels.get(t, t) for t in r.themes),
             r.addressed_to, r.text, r.response or UNKNOWN, r.actions or "", r.status or UNKNOWN] for r in rows]


def choices(tracker: Tracker, labels: dict[str, str]) -> list:
    """Dropdown updates: the values each column holds."""
    rows = tracker.rows
    documents = sorted({(r.title, r.doc_id) for r in rows})
    themes = sorted({t for r in rows for t in r.themes}, key=lambda t: labels.get(t, t))
    statuses = sorted({(r.status or UNKNOWN).lower() for r in rows})
    return [
        gr.update(choices=documents),
        gr.update(choices=sorted({r.evaluation for r in rows if r.evaluation})),
        gr.update(choices=[str(y) for y in sorted({r.year for r in rows if r.year}, reverse=True)]),
        gr.update(choices=sorted({c for r in rows for c in r.countries})),
        gr.update(choices=[(labels.get(t, t), t) for t in themes]),
        gr.update(choices=[*RESPONSES, UNKNOWN]),
        gr.update(choices=statuses),
    ]


def selected(tracker: Tracker, docs, evaluations, years, countries, themes, responses, statuses, words
             ) -> list[RecommendationRow]:
    """The rows passing every column filter (an empty filter passes all) and containing `words`."""
    filters = Filters(doc_ids=list(docs or []), years=[int(y) for y in years or []], countries=list(countries or []),
                      themes=list(themes or []))
    rows = filter_rows(tracker.rows, tracker.passages, filters=filters, responses=responses or [],
                       statuses=statuses or [], evaluations=evaluations or [])
    needle = (words or "").strip().lower()
    return [r for r in rows if needle in r.text.lower()] if needle else rows


def recurring_table(tracker: Tracker, rows: list[RecommendationRow], ctx: AppContext) -> list[list]:
    """The recurring groups among `rows` as table cells."""
    return [[g.text, g.evaluations, ", ".join(str(y) for y in g.years),
             "; ".join(sorted({f"{m.title} ({m.year})" if m.year else m.title for m in g.members}))]
            for g in tracker.recurring(ctx.settings, rows)]


def tracker_tab(ctx: AppContext) -> None:
    """The tab (filled when opened): filters, the table of recommendations, the recurring ones, a DOCX brief."""
    cache = TrackerCache(ctx)
    with gr.Tab("Recommendations", id="recommendations") as tab:
        gr.Markdown("Every recommendation in the indexed evaluations and, where a management-response matrix was "
                    "ingested, what management answered. Filter any column; **Recurring** shows the "
                    "recommendations different evaluations make again.")
        with gr.Row():
            docs = gr.Dropdown(label="Document", multiselect=True, elem_id="tracker-document")
            evaluations = gr.Dropdown(label="Evaluation", multiselect=True, elem_id="tracker-evaluation")
            years = gr.Dropdown(label="Year", multiselect=True, elem_id="tracker-year")
            countries = gr.Dropdown(label="Country", multiselect=True, elem_id="tracker-country")
        with gr.Row():
            themes = gr.Dropdown(label="Theme", multiselect=True, elem_id="tracker-theme")
            responses = gr.Dropdown(label="Response", multiselect=True, elem_id="tracker-response")
            statuses = gr.Dropdown(label="Status", multiselect=True, elem_id="tracker-status")
            words = gr.Textbox(label="Words in the recommendation", elem_id="tracker-words")
        with gr.Row():
            count = gr.Markdown(elem_id="tracker-count")
            brief = gr.DownloadButton("Download brief (.docx)", interactive=False, size="sm", elem_id="tracker-brief")
        with gr.Tabs():
            with gr.Tab("All recommendations", id="tracker-all"):
                rows_table = gr.Dataframe(headers=HEADERS, wrap=True, interactive=False, elem_id="tracker-table",
                                          column_widths=["14%", "8%", "5%", "8%", "10%", "9%", "26%", "8%", "7%", "5%"])
            with gr.Tab("Recurring", id="tracker-recurring"):
                recurring = gr.Dataframe(headers=RECURRING_HEADERS, wrap=True, interactive=False,
                                         elem_id="tracker-recurring-table", column_widths=["50%", "10%", "12%", "28%"])
    filters = [docs, evaluations, years, countries, themes, responses, statuses, words]

    def show(*values):
        tracker = cache.get()
        rows = selected(tracker, *values)
        path = rows_docx("Recommendations", rows, tracker.passages) if rows else None
        return (table(rows, theme_labels(ctx)), recurring_table(tracker, rows, ctx),
                f"**{len(rows)}** of {len(tracker.rows)} recommendations",
                gr.update(value=str(path) if path else None, interactive=path is not None))

    outputs = [rows_table, recurring, count, brief]
    tab.select(lambda: choices(cache.get(), theme_labels(ctx)), None, filters[:-1], api_visibility="private").then(
        show, filters, outputs, api_visibility="private")
    for component in filters:
        event = component.submit if component is words else component.change
        event(show, filters, outputs, api_visibility="private")
