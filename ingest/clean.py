"""Clean a loaded document's text: drop furniture (running headers, letterheads, addresses, tables of
contents, footnotes, form boilerplate), strip markup, and rejoin what page breaks split.

The cleaned text keeps the loader's conventions ('#' headings, '- ' items, tab-separated table rows)
with paragraphs separated by one blank line. Page starts are remapped onto the cleaned text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from ingest.models import Document

_LETTERHEAD = [  # contact lines and page numbers; letterheads themselves go by repetition (`_mark_repeated`)
    r"(tel|phone|fax|e-?mail|t[ée]l[ée]phone|courriel|correo|telefon)\.?\s*[:.].*(\+?\d[\d .()-]{5,}|@).*",
    r"(internet|web(site)?|site web|sitio web):?\s*<?(https?://|www\.)\S+>?",
    r"(page|side|sida|página|p\.)\s*\d+(\s*(of|av|/|de|sur)\s*\d+)?",
    r"\d+\s*\|\s*page|page\s*\|\s*\d+",
]
LETTERHEAD_RE = re.compile(r"^(?:" + "|".join(_LETTERHEAD) + r")$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-–—_=*.·•\s]{3,}$")
_TOC_LINE = re.compile(r"(\.{4,}|…{2,}|(\.\s){4,}|_{4,})\s*\d*\s*$")
_TOC_HEADING = re.compile(r"^#*\s*(table of contents|contents|innhald|innhold|sommaire|índice)\s*$", re.IGNORECASE)
_NUMBERS_ONLY = re.compile(r"^[\d\s/\-–.,:()]+$")
_FORM_FILLER = re.compile(r"\s*\[?click or tap (here )?to enter (a )?(text|date)\.?\]?(\(#\))?", re.IGNORECASE)
# a form's version stamp ("Template Version: 08/2022"): page furniture that reading order may set inside a line
FORM_STAMP = re.compile(r"\b(template|form|formulaire|modèle|plantilla|formulario|mall)\s+version\s*:?\s*\d[\d./-]*\s*",
                        re.IGNORECASE)
_URL_OR_MAIL = re.compile(r"^<?((https?|ftp)://|www\.)\S+>?$|^<?[\w.+-]+@[\w-]+(\.[\w-]+)+>?$", re.IGNORECASE)
_FOOTNOTE_BODY = re.compile(r"^\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+|<sup>\s*\d+\s*</sup>)\s*\S")
_CLOSING = re.compile(r"^(sincerely|yours (sincerely|faithfully|truly)|(best|kind|warm)(est)? regards|regards|"
                      r"med (venleg|vennleg|vennlig) (helsing|hilsen))[,.]?$", re.IGNORECASE)
_CAPTION = re.compile(r"^((figure|fig\.|chart|graph|map|photo|image|diagram)\s*\d+(\.\w+)?\s*[:.–-]|"
                      r"(poster|photo|picture|image|illustration)\b[^.]*$)", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(\(?signed\)?|\[?signature\]?|(a )?handwritten signature\b.*)$", re.IGNORECASE)
_POSTAL = re.compile(r"\bP\.?\s?O\.?\s?Box\b|\b[A-Z]{1,2}-\d{4,5}\b|\bC\.P\.\s*\d+|\bPostboks\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(- |\d{1,2}[.)]\s|[a-z]{1,4}[.)]\s)")
_TERMINAL = re.compile(r"[.!?:;][\"'”’)\]]*$")
_FUNCTION_WORD = re.compile(
    r"\b(the|a|an|of|to|and|or|in|for|with|by|on|at|from|that|this|these|its|their|our|as|is|are|was|were|be|"
    r"which|who|between|into|than|such|not|og|i|av|til|på|for|med|som|at|om|dei|den|det|ein|eit|frå)$", re.IGNORECASE)
_KEEP_HYPHEN = re.compile(r"(counter|self|non|anti|cross|multi|well|long|short|cost|follow|ex|gender|child|"
                          r"human|victim|mid|sub|semi|high|low|full|part|community|evidence|results|inter)-$", re.IGNORECASE)


@dataclass
class _Line:
    text: str
    raw: int  # offset of the line in the raw text
    page: int = 0
    drop: bool = False


def inline_clean(text: str) -> str:
    """Strip markup from one line: tags, footnote markers, markdown links, emphasis and escapes."""
    s = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    s = re.sub(r"<sup>\s*[\d,\s\-–*†‡]+\s*</sup>", "", s, flags=re.IGNORECASE)
    s = re.sub(r"<((?:https?|ftp|file|mailto):[^>\s]+)>", r"\1", s)
    s = re.sub(r"\[([^\]\n]*)\]\([^)\s]*\)", r"\1", s)
    s = re.sub(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>", "", s)
    s = re.sub(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});", lambda m: html.unescape(m.group(0)), s)
    s = re.sub(r"\\([\\`*_{}\[\]()#+\-.!$])", r"\1", s)
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"\1", s)
    s = re.sub(r"(?<=[^\s\d⁰¹²³⁴⁵⁶⁷⁸⁹])(?<!\b[kc]m)(?<!\bm)[⁰¹²³⁴⁵⁶⁷⁸⁹]+", "", s)
    s = _FORM_FILLER.sub("", s)
    s = FORM_STAMP.sub("", s)
    s = re.sub(r"^[ ]*[•●▪■◦○➤►▶✓✔‣⁃][ \t]*", "- ", s)
    s = re.sub(r"^ +", "", s)
    s = re.sub(r"(?<=\S)[ ]{2,}", " ", s)
    return s.rstrip()


def is_boilerplate(text: str) -> bool:
    """Whether a line or short passage is document furniture (letterhead, address, closing, page number...)."""
    line = " ".join(text.split())
    if not line or _NUMBERS_ONLY.match(line) or len(line) <= 2:
        return True
    if LETTERHEAD_RE.match(line) or _SEPARATOR.match(line) or _URL_OR_MAIL.match(line):
        return True
    if _CLOSING.match(line) or _SIGNATURE.match(line) or _FORM_FILLER.fullmatch(line):
        return True
    tokens = line.split()
    return len(tokens) <= 3 and any(re.search(r"\d", t) for t in tokens) and all(
        re.search(r"\d", t) or re.fullmatch(r"[A-ZÆØÅ]{1,6}", t) for t in tokens)


def _split(doc: Document) -> list[_Line]:
    lines, offset = [], 0
    for raw_line in doc.text.split("\n"):
        lines.append(_Line(raw_line, offset))
        offset += len(raw_line) + 1
    page, blanks = 0, 0
    starts = doc.page_starts
    for line in lines:
        if starts:
            while page + 1 < len(starts) and line.raw >= starts[page + 1]:
                page += 1
        elif line.text.strip():
            if blanks >= 2:
                page += 1
            blanks = 0
        else:
            blanks += 1
        line.page = page
    return lines


def _is_table(text: str) -> bool:
    return "\t" in text


def _mark_repeated(lines: list[_Line]) -> None:
    """Drop short lines that recur at the top or bottom of several pages (running headers/footers)."""
    pages: dict[int, list[_Line]] = {}
    for line in lines:
        if line.text.strip() and not line.drop:
            pages.setdefault(line.page, []).append(line)
    seen: dict[str, set[int]] = {}
    for page, page_lines in pages.items():
        for line in page_lines[:3] + page_lines[-3:]:
            seen.setdefault(_key(line.text), set()).add(page)
    threshold = 2 if len(pages) <= 5 else 3
    for line in lines:
        text = line.text.strip()
        if (not text or _is_table(line.text) or text.startswith(("#", "- ")) or len(text.split()) > 15
                or (len(text.split()) >= 6 and re.search(r"[.!?]$", text))):
            continue  # running headers are short and are not sentences
        if len(seen.get(_key(line.text), ())) >= threshold:
            line.drop = True


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split())).lower()


def _mark_toc(lines: list[_Line]) -> None:
    for i, line in enumerate(lines):
        if _TOC_LINE.search(line.text.rstrip()) and len(line.text.strip()) > 5:
            line.drop = True
        elif _TOC_HEADING.match(line.text.strip()):
            following = [x for x in lines[i + 1:i + 8] if x.text.strip()][:3]
            if following and all(_TOC_LINE.search(x.text.rstrip()) for x in following):
                line.drop = True


def _mark_blocks(lines: list[_Line]) -> None:
    """Drop address blocks and closing/signature blocks (groups of short lines)."""
    groups, current = [], []
    for line in lines:
        if line.text.strip() and not line.drop:
            current.append(line)
        elif current and not line.text.strip():
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    for group in groups:
        short = all(len(g.text.split()) <= 10 for g in group)
        if len(group) >= 2 and short and any(_POSTAL.search(g.text) for g in group):
            for g in group:
                g.drop = True
    in_signature, blanks = False, 0
    for line in lines:
        text = line.text.strip()
        if _CLOSING.match(text):
            in_signature, blanks, line.drop = True, 0, True
        elif in_signature:
            if not text:
                blanks += 1
                in_signature = blanks < 2
            elif LETTERHEAD_RE.match(text) or text.startswith("#") or (
                    len(text.split()) > 12 and not _SIGNATURE.match(text)):
                in_signature = False
            else:
                blanks, line.drop = 0, True


def _join(prev: str, nxt: str, *, gap: bool) -> str | None:
    """The joined line when `nxt` continues `prev` (hyphenation, page-break splits), else None."""
    body = nxt.strip()
    if not prev.strip() or not body or prev.lstrip().startswith(("#", "[^")) or body.startswith(("#", "- ", "[^")):
        return None
    if _is_table(prev):
        cells = nxt.split("\t")
        if gap and nxt.startswith("\t") and len([c for c in cells if c.strip()]) == 1 and body[:1].islower() \
                and not _TERMINAL.search(prev.rstrip()):
            return prev.rstrip() + " " + body
        return None
    if _is_table(nxt):
        return None
    if re.search(r"[^\W\d_]-$", prev) and body[:1].islower():
        return prev + body if _KEEP_HYPHEN.search(prev) else prev[:-1] + body
    if gap and _LIST_ITEM.match(prev) and _TERMINAL.search(prev.rstrip()):
        return None  # a finished list item; the text after the gap resumes something else
    if gap and re.match(r"[a-zà-ÿ]{1,4}[.)]\s", body):
        return None  # an enumerated line such as "a. Yes", not a continuation
    if gap and (body[:1].islower() or (not _TERMINAL.search(prev) and _FUNCTION_WORD.search(prev))):
        return prev.rstrip() + " " + body
    return None


def _interrupted_paragraph(out: list[_Line], text: str) -> _Line | None:
    body = text.strip()
    if not body[:1].islower() or re.match(r"[a-zà-ÿ]{1,4}[.)]\s", body) or "\t" in text:
        return None
    i = len(out) - 1
    while i >= 0 and (not out[i].text.strip() or _LIST_ITEM.match(out[i].text)):
        i -= 1
    if i == len(out) - 1 or i < 0:
        return None
    host = out[i].text
    if host.lstrip().startswith("#") or _is_table(host) or re.search(r"[.!?:][\"'”’)\]]*$", host.rstrip()):
        return None
    return out[i]


def _mark_lines(lines: list[_Line]) -> None:
    previous = ""
    for line in lines:
        if _FOOTNOTE_BODY.match(line.text):
            line.drop = True
            continue
        line.text = inline_clean(line.text)
        if _URL_OR_MAIL.match(line.text.strip()) and previous.endswith(":"):
            previous = line.text.strip()
            continue  # "Full report:" followed by its address is content, not furniture
        previous = line.text.strip() or previous
        cells = [c for c in line.text.split("\t") if c.strip()]
        if _is_table(line.text) and len(cells) <= 1 and (not cells or is_boilerplate(cells[0])):
            line.drop = bool(line.text.strip())  # empty table rows and separator rows such as "--\t---"
            line.text = "" if not cells else line.text
        elif line.text.strip() and is_boilerplate(line.text):
            line.drop = True
        elif _CAPTION.match(line.text.strip()) and len(line.text.split()) <= 30:
            line.drop = True  # figure captions and image labels: the figure itself is not in the text
        elif line.text.strip().startswith("#") and not line.text.strip().lstrip("#").strip():
            line.drop = True


def clean_text(doc: Document) -> tuple[str, list[int]]:
    """Cleaned text of a document and the raw offset at which each cleaned character's line began."""
    lines = _split(doc)
    _mark_lines(lines)
    _mark_toc(lines)
    _mark_repeated(lines)
    _mark_blocks(lines)
    out: list[_Line] = []
    gap = False
    for line in lines:
        if line.drop or not line.text.strip():
            gap = True
            continue
        if out:
            joined = _join(out[-1].text, line.text, gap=gap)
            if joined is not None:
                out[-1].text = joined
                gap = False
                continue
            host = _interrupted_paragraph(out, line.text) if gap else None
            if host is not None:  # a paragraph resumes after a list that a page break put inside it
                host.text = host.text.rstrip() + " " + line.text.strip()
                continue
            if gap:
                out.append(_Line("", line.raw))
        out.append(_Line(line.text, line.raw))
        gap = False
    text_parts, origins, offset = [], [], 0
    for line in out:
        text_parts.append(line.text)
        origins.append((offset, line.raw))
        offset += len(line.text) + 1
    return "\n".join(text_parts), origins


def clean_document(doc: Document) -> Document:
    """The same document with cleaned text and page starts remapped onto the cleaned text."""
    text, origins = clean_text(doc)
    page_starts: list[int] = []
    for raw_start in doc.page_starts:
        mapped = next((clean for clean, raw in origins if raw >= raw_start), len(text))
        page_starts.append(max(mapped, page_starts[-1] if page_starts else 0))
    return doc.model_copy(update={"text": text, "page_starts": page_starts})
