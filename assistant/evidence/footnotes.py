"""Real Word footnotes for python-docx, which has no footnote API: the footnotes part (word/footnotes.xml) is
added to the package and related from the document part, and each footnote is a `w:footnoteReference` run in
the body pointing at a `w:footnote` element in that part (ECMA-376 Part 1, 17.11)."""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.parser import OxmlElement
from docx.text.paragraph import Paragraph

PARTNAME = "/word/footnotes.xml"
# ids 0 and 1 are Word's separator and continuation separator; real footnotes start at 2
_EMPTY = (
    f"<w:footnotes {nsdecls('w', 'r')}>"
    '<w:footnote w:type="separator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
    "</w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>"
    '<w:footnote w:type="continuationSeparator" w:id="1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)


def footnotes_part(document: DocxDocument) -> XmlPart:
    """The document's footnotes part, created (and related from the document part) when it has none."""
    main = document.part
    for rel in main.rels.values():
        if rel.reltype == RT.FOOTNOTES and not rel.is_external:
            return rel.target_part
    part = XmlPart(PackURI(PARTNAME), CT.WML_FOOTNOTES, parse_xml(_EMPTY), main.package)
    main.relate_to(part, RT.FOOTNOTES)
    return part


def _superscript_run(child: str) -> OxmlElement:
    """A run holding one footnote mark (`child`: reference or own mark), set as a superscript."""
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    align = OxmlElement("w:vertAlign")
    align.set(qn("w:val"), "superscript")
    props.append(align)
    run.append(props)
    run.append(OxmlElement(child))
    return run


def add_footnote(paragraph: Paragraph, text: str) -> int:
    """Append a footnote mark at the end of `paragraph`, with `text` as the footnote; returns its id."""
    part = footnotes_part(paragraph.part.document)
    root = part.element
    used = [int(note.get(qn("w:id"))) for note in root.findall(qn("w:footnote"))]
    note_id = max([1, *used]) + 1

    note = OxmlElement("w:footnote")
    note.set(qn("w:id"), str(note_id))
    body = OxmlElement("w:p")
    body.append(_superscript_run("w:footnoteRef"))
    words = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    t.text = " " + text
    words.append(t)
    body.append(words)
    note.append(body)
    root.append(note)

    reference = _superscript_run("w:footnoteReference")
    reference[-1].set(qn("w:id"), str(note_id))
    paragraph._p.append(reference)
    return note_id


def footnote_texts(document: DocxDocument) -> dict[int, str]:
    """Footnote id -> its text, read back from the footnotes part (separators left out)."""
    main = document.part
    for rel in main.rels.values():
        if rel.reltype == RT.FOOTNOTES and not rel.is_external:
            root = parse_xml(rel.target_part.blob)
            return {
                int(note.get(qn("w:id"))): "".join(t.text or "" for t in note.iter(qn("w:t"))).strip()
                for note in root.findall(qn("w:footnote"))
                if note.get(qn("w:type")) is None
            }
    return {}
