"""
The small, safe text format of education materials: a subset of Markdown that staff can type and that can
never carry HTML or script. Pure functions, no database.

  # Heading          a section heading (## for a smaller one)
  - item             a bullet (also "* item"); consecutive bullets make one list
  **words**          bold
  blank line         ends a paragraph

`parse` turns text into blocks, `to_html` renders them with every character escaped first (the only tags in
the output are the ones written here), `to_plain` gives the text for email and for the reading-level
formulas (each heading and bullet ends as a sentence, so lists are not counted as one endless sentence).
"""

import re
from dataclasses import dataclass, field
from html import escape

HEADING = "heading"
SUBHEADING = "subheading"
PARAGRAPH = "paragraph"
BULLETS = "bullets"

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_SENTENCE_END = (".", "!", "?", ":", ";")


@dataclass(frozen=True)
class Block:
    kind: str
    text: str = ""
    items: tuple[str, ...] = field(default_factory=tuple)


def parse(text: str) -> list[Block]:
    """Splits the material's text into headings, paragraphs and bullet lists, in order."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    bullets: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(PARAGRAPH, " ".join(paragraph)))
            paragraph.clear()
        if bullets:
            blocks.append(Block(BULLETS, items=tuple(bullets)))
            bullets.clear()

    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        bullet = _BULLET.match(raw)
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            words = line.lstrip("#").strip()
            if words:
                blocks.append(Block(HEADING if level == 1 else SUBHEADING, words))
        elif bullet and bullet.group(1).strip():
            if paragraph:
                flush()
            bullets.append(bullet.group(1).strip())
        else:
            if bullets:
                flush()
            paragraph.append(line)
    flush()
    return blocks


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escape(text, quote=True))


def to_html(text: str) -> str:
    """The material as HTML: escaped text inside h2, h3, p, ul/li and strong only."""
    parts = []
    for block in parse(text):
        if block.kind == HEADING:
            parts.append(f"<h2>{_inline(block.text)}</h2>")
        elif block.kind == SUBHEADING:
            parts.append(f"<h3>{_inline(block.text)}</h3>")
        elif block.kind == PARAGRAPH:
            parts.append(f"<p>{_inline(block.text)}</p>")
        else:
            items = "".join(f"<li>{_inline(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
    return "\n".join(parts)


def _as_sentence(text: str) -> str:
    text = _BOLD.sub(r"\1", text).strip()
    return text if text.endswith(_SENTENCE_END) else text + "."


def to_plain(text: str, *, bullets: bool = True) -> str:
    """
    The material as plain text: headings, paragraphs and "- " bullets (or bare sentences when `bullets` is
    False, for the reading-level formulas), each heading and bullet closed as a sentence.
    """
    lines = []
    for block in parse(text):
        if block.kind == BULLETS:
            lines.extend(("- " if bullets else "") + _as_sentence(item) for item in block.items)
        elif block.kind == PARAGRAPH:
            lines.append(_BOLD.sub(r"\1", block.text))
        else:
            lines.append(_as_sentence(block.text) if not bullets else _BOLD.sub(r"\1", block.text).upper())
        lines.append("")
    return "\n".join(lines).strip()
