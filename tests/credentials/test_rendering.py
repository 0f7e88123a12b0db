"""The certificate's PDF and PNG: the learner's name in any script, the course, the
verification URL and a QR code that decodes to it; fonts embedded; hostile names drawn
safely."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pypdf
import pytest
import zxingcpp
from httpx import AsyncClient
from PIL import Image

from campus.credentials.service.fonts import SCRIPTS, font_set, missing_scripts
from campus.credentials.service.rendering import (
    Sheet,
    clean_text,
    render_pdf,
    render_png,
    visual_order,
)
from campus.kernel.jobs import Relay
from tests.credentials.helpers import complete, my_certificates, published_course
from tests.fixtures.catalog import API
from tests.fixtures.identity import AppUser, IdentityFactory
from tests.fixtures.learning import LearningFactory

fonts_installed = pytest.mark.skipif(
    bool(missing_scripts("")),
    reason="certificate fonts not installed (fonts-dejavu-core fonts-noto-core "
    "fonts-droid-fallback)",
)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def embedded_fonts(data: bytes) -> dict[str, bool]:
    """Base font name -> whether its program is embedded (FontFile2)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    found: dict[str, bool] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                obj = descendant.get_object()
                descriptor = obj.get("/FontDescriptor")
                name = str(obj.get("/BaseFont", font.get("/BaseFont")))
                found[name.split("+")[-1]] = bool(
                    descriptor is not None and "/FontFile2" in descriptor.get_object()
                )
    return found


def link_uris(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    uris = []
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A")
            if action is not None:
                uris.append(str(action.get_object()["/URI"]))
    return uris


async def download(client: AsyncClient, learner: AppUser, certificate_id: str, kind: str) -> bytes:
    response = await client.get(
        f"{API}/certificates/{certificate_id}/download",
        params={"format": kind},
        headers=learner.headers,
    )
    assert response.status_code == 200, response.text
    file = await client.get(response.json()["url"])
    assert file.status_code == 200, file.text
    return file.content


@fonts_installed
@pytest.mark.parametrize(
    ("first", "last", "font"),
    [
        ("王小明", "山田", "DroidSansFallback"),
        ("محمد", "الفارسي", "DejaVuSans"),
        ("Zoë", "Ωμέγα-Жанна", "DejaVuSans"),
    ],
)
async def test_the_pdf_names_the_learner_in_any_script_with_the_course_and_verification_url(
    learning: LearningFactory,
    identity: IdentityFactory,
    relay: Relay,
    client: AsyncClient,
    first: str,
    last: str,
    font: str,
) -> None:
    _, course = await published_course(learning)
    learner = await identity.signed_in(roles=("student",), first_name=first, last_name=last)
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    assert certificate["renderStatus"] == "ready"

    pdf = await download(client, learner, certificate["id"], "pdf")
    assert pdf.startswith(b"%PDF-")
    # Arabic is drawn in its joined (presentation) forms: NFKC gives the letters back.
    text = unicodedata.normalize("NFKC", pdf_text(pdf))
    verify_url = f"http://127.0.0.1:8000/verify/{certificate['publicId']}"
    assert first in text
    assert last in text
    assert course.data["title"] in text
    assert verify_url in text
    assert certificate["number"] in text
    fonts = embedded_fonts(pdf)
    assert fonts.get(font) is True, fonts
    assert all(fonts.values()), fonts  # every font used is embedded
    name = f"{first} {last}"
    chain = font_set("")
    assert all(chain.font_for(ch) is not None for ch in name if not ch.isspace())
    assert verify_url in link_uris(pdf)

    png = await download(client, learner, certificate["id"], "png")
    assert png.startswith(b"\x89PNG")
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [verify_url]


async def test_downloads_are_the_learners_own(
    learning: LearningFactory, relay: Relay, client: AsyncClient
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner()
    other = await learning.learner("Otto")
    await complete(learning, relay, course, learner)
    [certificate] = await my_certificates(client, learner)
    for path in ("", "/download", "/credential", "/credential.jwt", "/share"):
        response = await client.get(
            f"{API}/certificates/{certificate['id']}{path}", headers=other.headers
        )
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "certificate_not_found"
    anonymous = await client.get(f"{API}/certificates/{certificate['id']}")
    assert anonymous.status_code == 401


@fonts_installed
def test_every_script_certificates_must_render_has_a_font() -> None:
    assert missing_scripts("") == []
    assert set(SCRIPTS) == {"Latin", "Cyrillic", "Greek", "Arabic", "CJK"}


def sheet(name: str) -> Sheet:
    return Sheet(
        values={
            "learner_name": name,
            "course_title": "Python",
            "completion_date": "2026-01-01",
            "certificate_number": "CAMPUS-2026-ABCDEF",
            "verification_url": "http://127.0.0.1:8000/verify/X",
        },
        verification_url="http://127.0.0.1:8000/verify/X",
    )


def test_control_characters_and_pdf_operators_in_a_name_are_drawn_as_plain_text() -> None:
    hostile = "Eve\x00\x1b[31m\u202e) Tj ET BT /F1 99 Tf (pwned\r\n\t<script>"
    pdf = render_pdf(sheet(hostile))
    text = pdf_text(pdf)
    assert "Eve[31m) Tj ET BT /F1 99 Tf (pwned <script>" in text
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\x00" not in text
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert clean_text("a\u200bb\u0007c") == "abc"


def test_a_500_character_name_fits_the_page_and_is_cut_beyond() -> None:
    long_name = "Bartholomew-" * 50  # 600 characters
    pdf = render_pdf(sheet(long_name))
    text = pdf_text(pdf).replace("\n", "")
    assert long_name[:480] in text.replace(" ", "")
    assert long_name not in text  # cut at 500
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    png = render_png(sheet(long_name))
    assert Image.open(io.BytesIO(png)).size[0] > 1000


def test_an_arabic_name_is_drawn_joined_and_right_to_left() -> None:
    # "Maryam Ahmad": two words, each of joining letters, and a lam-alef in the second line.
    name = "مريم أحمد"
    drawn = visual_order(name)
    # The second word comes first on the line (right to left), each word's letters reversed,
    # in their joined (presentation) forms: not a single letter is left in its isolated form.
    assert drawn == "ﺪﻤﺣﺃ ﻢﻳﺮﻣ"
    assert all("\ufe70" <= ch <= "\ufeff" for ch in drawn.replace(" ", ""))
    assert visual_order("السلام") == "ﻡﻼﺴﻟﺍ"  # lam-alef is one ligature
    mixed = visual_order("Awarded to مريم أحمد today")
    assert mixed == "Awarded to ﺪﻤﺣﺃ ﻢﻳﺮﻣ today"
    assert visual_order("Zoë Ørsted") == "Zoë Ørsted"  # left-to-right text is untouched
    # A PDF text extractor puts right-to-left text back in reading order: the joined forms.
    text = pdf_text(render_pdf(sheet(name)))
    assert "ﻣﺮﻳﻢ ﺃﺣﻤﺪ" in text
    assert name in unicodedata.normalize("NFKC", text)
