"""Drawing a certificate: the PDF (reportlab) and the PNG (Pillow), with the same layout, the
template's colours and text, and a QR code to the verification page.

Text is never markup: every value is cleaned (``clean_text``: control and format characters
dropped, at most 500 characters) and drawn as a string, which reportlab writes escaped into
the content stream, so a name cannot inject PDF operators. Long names shrink to fit, then wrap.
Each character is drawn with the first font of the chain that has it (``fonts``); fonts are
embedded as subsets. Right-to-left text is drawn shaped and in visual order on the PDF
(``visual_order``: Arabic presentation forms and the bidirectional algorithm, ADR 0044); the
PNG leaves both to Pillow's layout engine when it has one (libraqm).
"""

from __future__ import annotations

import io
import logging
import string
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import arabic_reshaper
from bidi import get_display
from PIL import Image, ImageDraw, ImageFont, features
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape, letter, portrait
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from campus.credentials.service.fonts import FontSet, font_paths, font_set

log = logging.getLogger(__name__)

#: Bidirectional classes of right-to-left letters (Hebrew, Arabic and their kin).
_RIGHT_TO_LEFT = frozenset({"R", "AL"})

PLACEHOLDERS = frozenset(
    {
        "learner_name",
        "course_title",
        "completion_date",
        "issue_date",
        "score",
        "grade",
        "hours",
        "instructor_names",
        "certificate_number",
        "verification_url",
        "issuer_name",
    }
)
DEFAULT_TEXTS = {
    "title": "Certificate of Completion",
    "body": "This certifies that {learner_name} has completed {course_title} on {completion_date}.",
    "footer": "Certificate {certificate_number} · Verify at {verification_url}",
}
DEFAULT_COLOURS = {"primary": "#1f3a5f", "text": "#222222", "accent": "#c9a227"}
MAX_TEXT = 500
#: Pillow with libraqm orders and shapes right-to-left runs itself.
_PILLOW_SHAPES = bool(features.check("raqm"))


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """Printable text only: control, format and private-use characters dropped, whitespace
    runs collapsed, NFC, at most ``limit`` characters."""
    value = unicodedata.normalize("NFC", value)
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in value
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    return " ".join(kept.split())[:limit]


def visual_order(text: str) -> str:
    """One line as it is drawn: Arabic letters in their joined forms (``arabic_reshaper``:
    initial, medial, final and isolated presentation forms, lam-alef ligatures) and the Unicode
    bidirectional algorithm's visual order (``python-bidi``), so a right-to-left name reads
    right to left, word by word, inside a left-to-right sentence and on its own. Text without
    right-to-left characters is returned as it is."""
    if not any(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in text):
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


def placeholders_in(text: str) -> set[str]:
    found: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            found.add(name)
    return found


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace ``{placeholders}`` (unknown ones were refused when the template was saved)."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Sheet:
    """Everything drawn on one certificate."""

    values: Mapping[str, str]
    verification_url: str
    texts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TEXTS))
    colours: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_COLOURS))
    orientation: str = "landscape"
    page_size: str = "A4"
    signers: tuple[tuple[str, str], ...] = ()
    title: str = "Certificate"
    #: "background" | "logo" | "signature" -> PNG or JPEG bytes (checked when uploaded)
    images: Mapping[str, bytes] = field(default_factory=dict)


def _page(sheet: Sheet) -> tuple[float, float]:
    size = A4 if sheet.page_size == "A4" else letter
    width, height = landscape(size) if sheet.orientation == "landscape" else portrait(size)
    return float(width), float(height)


def _colour(sheet: Sheet, key: str) -> str:
    value = sheet.colours.get(key) or DEFAULT_COLOURS[key]
    return value if len(value) == 7 and value.startswith("#") else DEFAULT_COLOURS[key]


@lru_cache(maxsize=32)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's modules (cached: the job draws the same code on the PDF and the PNG, and
    choosing the best mask is most of a certificate's drawing time)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    count = code.getModuleCount()
    return tuple(tuple(bool(code.isDark(r, c)) for c in range(count)) for r in range(count))


def dark_runs(row: tuple[bool, ...]) -> Iterator[tuple[int, int]]:
    """``(start, length)`` of each run of dark modules in a row (one rectangle per run)."""
    start = None
    for c, dark in enumerate((*row, False)):
        if dark and start is None:
            start = c
        elif not dark and start is not None:
            yield start, c - start
            start = None


def _width(fonts: FontSet, text: str, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(run, font, size) for font, run, _ in fonts.runs(text)))


def _wrap(fonts: FontSet, text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if _width(fonts, candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:  # a word wider than the line is cut
            if _width(fonts, current + char, size) > width and current:
                lines.append(current)
                current = ""
            current += char
    if current:
        lines.append(current)
    return lines


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    size: float
    colour: str
    y: float


def _layout(sheet: Sheet, fonts: FontSet) -> tuple[float, float, list[_Line]]:
    width, height = _page(sheet)
    usable = width - 144
    values = {k: clean_text(v) for k, v in sheet.values.items()}
    lines: list[_Line] = []
    y = height - 110
    title = clean_text(fill(sheet.texts.get("title", DEFAULT_TEXTS["title"]), values))
    lines.append(_Line(title, 30, _colour(sheet, "primary"), y))
    y -= 60
    name = values.get("learner_name", "")
    size = 34.0
    while size > 12 and _width(fonts, name, size) > usable:
        size -= 2
    for part in _wrap(fonts, name, size, usable)[:6]:
        lines.append(_Line(part, size, _colour(sheet, "accent"), y))
        y -= size * 1.25
    y -= 14
    body = clean_text(fill(sheet.texts.get("body", DEFAULT_TEXTS["body"]), values), 2000)
    for part in _wrap(fonts, body, 14, usable)[:8]:
        lines.append(_Line(part, 14, _colour(sheet, "text"), y))
        y -= 20
    footer = clean_text(fill(sheet.texts.get("footer", DEFAULT_TEXTS["footer"]), values), 2000)
    fy = 60.0
    for part in reversed(_wrap(fonts, footer, 9, usable - 110)[:3]):
        lines.append(_Line(part, 9, _colour(sheet, "text"), fy))
        fy += 12
    return width, height, lines


def _warn_missing(fonts: FontSet, lines: list[_Line]) -> None:
    for line in lines:
        for _, run, found in fonts.runs(line.text):
            if not found:
                log.warning(
                    "certificate text has characters no installed font covers",
                    extra={"codepoints": [f"U+{ord(c):04X}" for c in run][:10]},
                )


def render_pdf(sheet: Sheet, font_dirs: str = "") -> bytes:
    fonts = font_set(font_dirs)
    width, height, lines = _layout(sheet, fonts)
    _warn_missing(fonts, lines)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(
        buffer, pagesize=(width, height), pageCompression=1, initialFontName=fonts.names[0]
    )
    pdf.setTitle(clean_text(sheet.title, 200))
    pdf.setAuthor(clean_text(sheet.values.get("issuer_name", "Campus"), 200))
    if "background" in sheet.images:
        pdf.drawImage(
            ImageReader(io.BytesIO(sheet.images["background"])), 0, 0, width, height, mask="auto"
        )
    if "logo" in sheet.images:
        pdf.drawImage(
            ImageReader(io.BytesIO(sheet.images["logo"])),
            54,
            height - 126,
            72,
            72,
            preserveAspectRatio=True,
            mask="auto",
        )
    pdf.setStrokeColor(HexColor(_colour(sheet, "primary")))
    pdf.setLineWidth(6)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setLineWidth(1.5)
    pdf.setStrokeColor(HexColor(_colour(sheet, "accent")))
    pdf.rect(36, 36, width - 72, height - 72)
    for line in lines:
        pdf.setFillColor(HexColor(line.colour))
        drawn = visual_order(line.text)
        total = _width(fonts, drawn, line.size)
        x = (width - total) / 2
        text = pdf.beginText(x, line.y)
        for font, run, _ in fonts.runs(drawn):
            text.setFont(font, line.size)
            text.textOut(run)
        pdf.drawText(text)
    # signers
    sx = 90.0
    for number, (signer, role) in enumerate(sheet.signers[:3]):
        if number == 0 and "signature" in sheet.images:
            pdf.drawImage(
                ImageReader(io.BytesIO(sheet.images["signature"])),
                sx,
                134,
                170,
                40,
                preserveAspectRatio=True,
                mask="auto",
            )
        pdf.setStrokeColor(HexColor(_colour(sheet, "text")))
        pdf.line(sx, 130, sx + 170, 130)
        for offset, value, size in ((114, signer, 11), (100, role, 9)):
            text = pdf.beginText(sx, offset)
            for font, run, _ in fonts.runs(visual_order(clean_text(value, 80))):
                text.setFont(font, size)
                text.textOut(run)
            pdf.drawText(text)
        sx += 200
    # QR code to the verification page
    matrix = qr_matrix(sheet.verification_url)
    side = 96.0
    cell = side / (len(matrix) + 8)
    qx, qy = width - 60 - side, 52.0
    pdf.setFillColor(HexColor("#ffffff"))
    pdf.rect(qx, qy, side, side, stroke=0, fill=1)
    pdf.setFillColor(HexColor("#000000"))
    for r, row in enumerate(matrix):
        for c, length in dark_runs(row):
            pdf.rect(
                qx + (c + 4) * cell, qy + side - (r + 5) * cell, cell * length, cell, stroke=0,
                fill=1,
            )  # fmt: skip
    pdf.linkURL(sheet.verification_url, (qx, qy, qx + side, qy + side), relative=0)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def render_png(sheet: Sheet, font_dirs: str = "", scale: float = 2.0) -> bytes:
    """The same certificate as a PNG for sharing (Pillow, ``scale`` pixels per point)."""
    fonts = font_set(font_dirs)
    paths = font_paths(font_dirs)
    width, height, lines = _layout(sheet, fonts)
    image = Image.new("RGB", (int(width * scale), int(height * scale)), "#ffffff")
    if "background" in sheet.images:
        with Image.open(io.BytesIO(sheet.images["background"])) as background:
            image.paste(background.convert("RGB").resize(image.size))
    if "logo" in sheet.images:
        with Image.open(io.BytesIO(sheet.images["logo"])) as logo:
            mark = logo.convert("RGBA")
            mark.thumbnail((int(72 * scale), int(72 * scale)))
            image.paste(mark, (int(54 * scale), int(54 * scale)), mark)
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (24 * scale, 24 * scale, (width - 24) * scale, (height - 24) * scale),
        outline=_colour(sheet, "primary"),
        width=int(6 * scale),
    )
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}

    def font_of(name: str, size: float) -> ImageFont.FreeTypeFont:
        key = (name, int(size * scale))
        if key not in cache:
            cache[key] = ImageFont.truetype(str(paths[name]), key[1])
        return cache[key]

    for line in lines:
        total = _width(fonts, line.text, line.size) * scale
        x = (width * scale - total) / 2
        y = (height - line.y - line.size) * scale
        for font, run, _ in fonts.runs(line.text if _PILLOW_SHAPES else visual_order(line.text)):
            draw.text((x, y), run, font=font_of(font, line.size), fill=line.colour)
            x += pdfmetrics.stringWidth(run, font, line.size) * scale
    matrix = qr_matrix(sheet.verification_url)
    cell = max(2, int(3 * scale))
    side = (len(matrix) + 8) * cell
    qx = int((width - 60) * scale) - side
    qy = int((height - 52) * scale) - side
    draw.rectangle((qx, qy, qx + side, qy + side), fill="#ffffff")
    for r, row in enumerate(matrix):
        for c, length in dark_runs(row):
            x0, y0 = qx + (c + 4) * cell, qy + (r + 4) * cell
            draw.rectangle((x0, y0, x0 + cell * length - 1, y0 + cell - 1), fill="#000000")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
