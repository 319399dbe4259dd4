"""The Evidence map tab: themes against documents, countries, years, organisations or kinds as a heat map.

A cell's colour is its passage count and a cell without evidence is grey with a dash: a gap. Selecting a cell
lists its passages as source cards, each quoting the sentence that says most about the theme. The table downloads
as CSV and XLSX. The map is computed afresh whenever the tab opens or the columns change (uploads show at once).
"""

from __future__ import annotations


import gradio as gr
import pandas as pd

from assistant.evidence.map import (AXES, EvidenceMap, build_map, cell_citations, cell_passages, column_labels,
                                    theme_label)
from assistant.evidence.map_export import heat_colour, map_table, table_csv, write_xlsx
from assistant.web.api import download_path
from assistant.web.context import AppContext
from assistant.web.render import short_title, source_card
from ingest.models import Filters, Kind

AXIS_LABELS = {"document": "Documents", "country": "Countries", "year": "Years", "organisation": "Organisations",
               "kind": "Kinds"}
GAP = "–"
HINT = "Select a cell to read its passages."


def _unique(labels: list[str]) -> list[str]:
    """Column headers made unique (two documents may share a short title)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _styled(header: list[str], rows: list[list]):
    """The table as a pandas Styler: counts coloured by heat, gaps grey with a dash."""
    frame = pd.DataFrame(rows, columns=header)
    highest = max((n for row in rows for n in row[1:]), default=0)

    def style(count) -> str:
        if not isinstance(count, int) or count <= 0:
            return f"background-color: #{heat_colour(0, highest)}; color: #9a9a9a; text-align: center"
        ink = "#ffffff" if count / max(highest, 1) > 0.4 else "#222222"
        return f"background-color: #{heat_colour(count, highest)}; color: {ink}; text-align: center; font-weight: 600"

    counts = header[1:]
    return frame.style.map(style, subset=counts).format(lambda n: str(n) if n else GAP, subset=counts)


def map_view(ctx: AppContext, by: str, kinds: list[str] | None) -> tuple[EvidenceMap, list[str], list[list]]:
    """The map of every stored passage (of the chosen kinds), with its table for display and export."""
    taxonomy = ctx.taxonomy()
    passages = list(ctx.passages().values())
    filters = Filters(kinds=[Kind(k) for k in kinds or []])
    emap = build_map(passages, taxonomy.ids if taxonomy else [], by=by, filters=filters)
    names = column_labels(passages, by)
    themes = {t.id: theme_label(t) for t in (taxonomy.themes if taxonomy else [])}
    header, rows = map_table(emap, themes, {c: short_title(names.get(c, c), limit=40) for c in emap.columns})
    return emap, ["Theme", *_unique(header[1:])], rows


def cell_cards(ctx: AppContext, emap: EvidenceMap, theme_id: str, column: str, column_name: str) -> tuple[str, str]:
    """The heading and the source cards of one cell."""
    taxonomy = ctx.taxonomy()
    theme = taxonomy.get(theme_id) if taxonomy else None
    passages = cell_passages(emap, theme_id, column, ctx.passages())
    if theme is None or not passages:
        return f"**{theme_label(theme) if theme else theme_id} × {column_name}**: no passage — a gap.", ""
    shown = passages[: ctx.settings.server.map_cards]
    citations = cell_citations(shown, theme, max_words=ctx.settings.answer.max_quote_words)
    more = f" (the first {len(shown)} shown)" if len(shown) < len(passages) else ""
    heading = f"**{theme_label(theme)} × {column_name}**: {len(passages)} passage{'s' * (len(passages) != 1)}{more}"
    by_id = {p.id: p for p in shown}
    cards = "".join(source_card(c, by_id[c.passage_id]) for c in citations)
    return heading, f"<div class='source-cards map-cards'>{cards}</div>"


def map_tab(ctx: AppContext) -> None:
    """The Evidence map tab (call inside the app's gr.Tabs)."""
    with gr.Tab("Evidence map", id="map") as tab:
        gr.Markdown("Which themes the indexed evaluations hold evidence on, and where there is none: each cell "
                    "counts the passages tagged with a theme. Grey cells with a dash are gaps. "
                    "Themes marked *approximate* are tagged less reliably.")
        with gr.Row():
            by = gr.Radio([(AXIS_LABELS[a], a) for a in AXES], value="document", label="Columns", elem_id="map-by")
            kinds = gr.Dropdown([(k.value.replace("_", " "), k.value) for k in Kind], label="Kind", multiselect=True)
        table = gr.Dataframe(interactive=False, wrap=True, max_height=720, elem_id="evidence-map", pinned_columns=1)
        with gr.Row():
            csv_file = gr.DownloadButton("Download CSV", interactive=False, size="sm", elem_id="map-csv")
            xlsx_file = gr.DownloadButton("Download XLSX", interactive=False, size="sm", elem_id="map-xlsx")
        heading = gr.Markdown(HINT, elem_id="map-cell")
        cards = gr.HTML(elem_id="map-cards")
        shown = gr.State(None)  # (map, header, rows) on display, to resolve a selected cell

    def render(by_value, kind_values):
        emap, header, rows = map_view(ctx, by_value or "document", kind_values)
        csv_path, xlsx_path = download_path("evidence map", ".csv"), download_path("evidence map", ".xlsx")
        csv_path.write_text(table_csv(header, rows), encoding="utf-8")
        write_xlsx(header, rows, xlsx_path)
        return (_styled(header, rows), (emap.model_dump(), header, rows), gr.update(value=str(csv_path), interactive=True),
                gr.update(value=str(xlsx_path), interactive=True), HINT, "")

    def select(state, evt: gr.SelectData):
        if not state or not isinstance(evt.index, (list, tuple)) or evt.index[1] < 1:
            return HINT, ""
        emap, header, row_labels = EvidenceMap.model_validate(state[0]), state[1], [r[0] for r in state[2]]
        label = (evt.row_value or [None])[0]
        row = row_labels.index(label) if label in row_labels else evt.index[0]  # the row's own theme, if sorted
        column = evt.index[1] - 1
        return cell_cards(ctx, emap, emap.themes[row], emap.columns[column], header[column + 1])

    outputs = [table, shown, csv_file, xlsx_file, heading, cards]
    gr.on([tab.select, by.change, kinds.change], render, [by, kinds], outputs, api_visibility="private")
    table.select(select, [shown], [heading, cards], api_visibility="private")

