"""The three tabs of the web app (Ask, Coverage check, Documents): layout and thin event handlers."""

from __future__ import annotations

import logging

import gradio as gr
from pydantic import BaseModel

from assistant.answer.types import ROLES, Answer, parse_role
from assistant.web import api
from assistant.web.briefs import last_answer_docx
from assistant.web.context import AppContext
from assistant.web.ingest_panel import document_report_view, ingest_status_panel
from assistant.web.render import chat_message
from assistant.web.uploads import UploadRefused
from ingest.models import Filters, Kind

log = logging.getLogger(__name__)
EXAMPLES = [
    ["How can we engage the apparel private sector on TiP?", "designer"],
    ["What should a project design include to make shelters for trafficking victims sustainable?", "designer"],
    ["Is training of trainers better than direct training workshops for institutions with high staff rotation?", "trainer"],
    ["How should we train government officials to identify victims of trafficking?", "trainer"],
    ["What did evaluations find about the sustainability of counter-trafficking projects?", "evaluator"],
    ["What challenges did the evaluations find with indicators and monitoring?", "evaluator"],
]
COVERAGE_HEADERS = ["Line", "Verdict", "Score", "Closest prior evidence", "Source"]
DOC_HEADERS = ["Title", "Organisation", "Year", "Countries", "Languages", "Type", "Evaluation", "Passages", "File"]


class Turn(BaseModel):
    """One question and its answer, as kept in a session."""

    question: str
    answer: Answer
    shown: str  # the chat message: answer text and source cards
    role: str | None = None


def _messages(turns: list[Turn]) -> list[dict]:
    """Chatbot messages for a conversation."""
    out: list[dict] = []
    for t in turns:
        out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.shown}]
    return out


def _filters(docs, orgs, years, kinds, langs, themes, responses) -> Filters | None:
    """Filters from the side panel's dropdowns."""
    f = Filters(
        doc_ids=list(docs or []),
        organisations=list(orgs or []),
        years=[int(y) for y in years or []],
        kinds=[Kind(k) for k in kinds or []],
        languages=list(langs or []),
        themes=list(themes or []),
        responses=list(responses or []),
    )
    return None if f.is_empty() else f


def refresh_filter_choices(ctx: AppContext) -> list:
    """Dropdown updates with the current index's filter values."""
    c = ctx.filter_choices()
    return [
        gr.update(choices=c.documents),
        gr.update(choices=c.organisations),
        gr.update(choices=[str(y) for y in c.years]),
        gr.update(choices=[(k.replace("_", " "), k) for k in c.kinds]),
        gr.update(choices=c.languages),
        gr.update(choices=c.themes),
        gr.update(choices=c.responses),
    ]


def ask_tab(ctx: AppContext) -> list[gr.Dropdown]:
    """Chat with streaming answers, source cards, filters, roles, export and feedback; returns the filter dropdowns."""
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Lessons", height=640, elem_id="chat", feedback_options=("Like", "Dislike"),
                placeholder="Ask about lessons learned, recommendations and good practices from past evaluations.",
            )
            with gr.Row():
                question = gr.Textbox(
                    label="Question", show_label=False, placeholder="Ask a question…", scale=6, elem_id="question", autofocus=True
                )
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask-button")
            with gr.Row():
                export = gr.DownloadButton("Export last answer (.md)", interactive=False, size="sm")
                export_docx = gr.DownloadButton("Brief (.docx)", interactive=False, size="sm", elem_id="answer-docx")
                clear = gr.Button("New conversation", size="sm")
            status = gr.Markdown(elem_id="feedback-status")
        with gr.Column(scale=1, min_width=260):
            role = gr.Radio(
                [("any", ""), *((r, r) for r in ROLES)], value="", label="I am a…",
                info="Orders and frames the answer for your work.", elem_id="role",
            )
            with gr.Accordion("Filters", open=True):
                docs = gr.Dropdown(label="Documents", multiselect=True)
                orgs = gr.Dropdown(label="Organisation", multiselect=True)
                years = gr.Dropdown(label="Year", multiselect=True)
                kinds = gr.Dropdown(label="Kind", multiselect=True)
                langs = gr.Dropdown(label="Language", multiselect=True)
                themes = gr.Dropdown(label="Theme", multiselect=True, elem_id="theme-filter",
                                     info="Approximate: tagged less reliably (test F1 under 0.6).")
                responses = gr.Dropdown(label="Management response", multiselect=True,
                                        info="Recommendations the management accepted, partially or not.")
    gr.Examples(EXAMPLES, inputs=[question, role], label="Example questions (click one, then Ask)")
    dropdowns = [docs, orgs, years, kinds, langs, themes, responses]

    def respond(text, conversation, role_value, *filter_values):
        text = (text or "").strip()
        if not text:
            yield gr.update(), gr.update(), conversation, gr.update()
            return
        filters, role_name = _filters(*filter_values), parse_role(role_value)
        history = [(t.question, t.answer.answer) for t in conversation]
        messages = _messages(conversation) + [{"role": "user", "content": text}, {"role": "assistant", "content": "…"}]
        yield "", messages, conversation, gr.update()
        answer = None
        try:
            for item in api.ask_stream(ctx, text, history=history, filters=filters, role=role_name):
                if isinstance(item, Answer):
                    answer = item
                else:
                    messages[-1]["content"] = item
                    yield "", messages, conversation, gr.update()
        except Exception as exc:  # noqa: BLE001 - say so in the chat rather than leave a dangling "…"
            log.exception("answering %r failed", text)
            messages[-1]["content"] = f"Sorry, this question could not be answered ({type(exc).__name__}: {exc})."
            yield text, messages, conversation, gr.update()
            return
        turn = Turn(question=text, answer=answer, shown=chat_message(answer, ctx.passages()), role=role_name)
        conversation = conversation + [turn]
        path = api.export_answer(answer, role=role_name, filters=filters)
        yield "", _messages(conversation), conversation, gr.update(value=str(path), interactive=True)

    inputs = [question, turns, role, *dropdowns]
    outputs = [question, chatbot, turns, export]
    for trigger in (send.click, question.submit):
        trigger(respond, inputs, outputs, api_visibility="private", concurrency_id="answer",
                concurrency_limit=ctx.settings.server.answer_concurrency,
                ).then(last_answer_docx, [turns], [export_docx], api_visibility="private")

    def on_like(conversation, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_no = int(index) // 2
        if not 0 <= turn_no < len(conversation):
            return "Could not find that answer to record your feedback."
        t = conversation[turn_no]
        rating = "up" if data.liked is True or data.liked == "Like" else "down"
        api.feedback(
            ctx, rating=rating, question=t.question, answer=t.answer.answer, citations=t.answer.citations, role=t.role
        )
        return f"Thanks — your {'👍' if rating == 'up' else '👎'} on “{t.question[:60]}” was recorded."

    chatbot.like(on_like, [turns], [status], api_visibility="private")
    clear.click(
        lambda: ([], [], gr.update(value=None, interactive=False), gr.update(value=None, interactive=False), ""),
        None, [chatbot, turns, export, export_docx, status], api_visibility="private",
    )
    return dropdowns


def _coverage_table(rows: list) -> list[list]:
    """Coverage rows as table cells."""
    table = []
    for r in rows:
        source = ", ".join(str(x) for x in (r.title, r.section, r.year) if x)
        table.append([r.line, r.verdict_label or r.verdict, round(r.score, 2), r.quote, source])
    return table


def coverage_tab(ctx: AppContext) -> None:
    """Paste findings or draft recommendations; see which are covered by prior evidence."""
    gr.Markdown(
        "Paste findings or draft recommendations, **one per line**. Each line is matched against the "
        "indexed evaluations: *covered* (already said before), *partly covered*, or *new*."
    )
    lines = gr.Textbox(lines=8, label="Findings or recommendations", elem_id="coverage-input")
    run = gr.Button("Check coverage", variant="primary")
    table = gr.Dataframe(
        headers=COVERAGE_HEADERS, datatype=["str", "str", "number", "str", "str"], wrap=True,
        interactive=False, column_widths=["25%", "10%", "7%", "38%", "20%"], elem_id="coverage-table",
    )
    download = gr.DownloadButton("Download CSV", interactive=False, size="sm")

    def check(text):
        rows = api.coverage(ctx, text or "")
        if not rows:
            return [], gr.update(value=None, interactive=False)
        return _coverage_table(rows), gr.update(value=str(api.coverage_csv(rows)), interactive=True)

    run.click(check, [lines], [table, download], api_visibility="private", concurrency_id="answer")


def document_table(ctx: AppContext) -> list[list]:
    """The documents list as table cells."""
    return [
        [d.title, d.organisation, d.year or "", d.countries, d.languages, d.doc_type, d.evaluation, d.passages, d.file]
        for d in api.documents(ctx)
    ]


def documents_tab(ctx: AppContext, filter_dropdowns: list[gr.Dropdown]) -> gr.Dataframe:
    """The indexed documents (select one for its ingestion report), and a form to add one, ingested in the
    background with its progress shown; returns the documents table (filled on page load)."""
    table = gr.Dataframe(
        headers=DOC_HEADERS, wrap=True, interactive=False, elem_id="documents-table",
        column_widths=["30%", "10%", "5%", "12%", "7%", "9%", "9%", "7%", "11%"],
    )
    refresh = gr.Button("Refresh list", size="sm")
    with gr.Accordion("Add a document", open=True):
        gr.Markdown(
            f"PDF, DOCX, HTML, TXT or MD, up to {ctx.settings.ingest.max_file_mb:g} MB. "
            "Metadata is optional: missing fields are guessed from the text."
        )
        with gr.Row():
            file = gr.File(label="File", file_count="single", type="filepath", scale=2, elem_id="upload-file")
            with gr.Column(scale=3):
                title = gr.Textbox(label="Title")
                with gr.Row():
                    organisation = gr.Textbox(label="Organisation")
                    year = gr.Textbox(label="Year", placeholder="e.g. 2021")
                    file_name = gr.Textbox(label="Save as (file name)", placeholder="keep the uploaded name")
        add = gr.Button("Add to corpus", variant="primary")
        result = gr.Markdown(elem_id="upload-result")
        ingest_status_panel(ctx, [table, *filter_dropdowns], lambda: [document_table(ctx), *refresh_filter_choices(ctx)])
    document_report_view(ctx, table)

    def do_upload(path, save_as, title_v, org_v, year_v):
        try:
            job = api.upload(ctx, path, file_name=save_as, title=title_v, organisation=org_v, year=year_v)
            ahead = ctx.ingest_queue.ahead_of(job.id)
            message = (f"⏳ **Queued.** {job.message} Upload {job.id}; {ahead} ahead of it. Chat keeps answering "
                       "from the current documents meanwhile; progress is shown below.")
        except UploadRefused as exc:
            message = f"❌ **Not added.** {exc}"
        return message, document_table(ctx)

    add.click(do_upload, [file, file_name, title, organisation, year], [result, table],
              api_name="upload", concurrency_id="upload", concurrency_limit=1)
    refresh.click(lambda: document_table(ctx), None, [table], api_visibility="private")
    return table
