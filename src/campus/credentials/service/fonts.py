"""The fonts certificates are drawn with, found on the machine at run time.

A chain of TrueType fonts, tried per character: DejaVu Sans (Latin, accented letters, Cyrillic,
Greek), Noto Sans, Noto Sans Arabic, Droid Sans Fallback (Chinese, Japanese, Korean). Debian
packages: ``fonts-dejavu-core``, ``fonts-noto-core``, ``fonts-droid-fallback``. They are looked
up in ``CAMPUS_CREDENTIALS_FONT_DIRS`` (colon-separated) or the usual system directories.
A character none of them has is drawn with the first font (a box) and logged as a warning;
with ``CAMPUS_CREDENTIALS_MISSING_GLYPHS=refuse`` the production check refuses to start
without fonts for every script (``missing_scripts``). Nothing is fetched or bundled.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SYSTEM_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts")
#: (registered name, file name) in the order characters try them.
CHAIN = (
    ("CampusDejaVu", "DejaVuSans.ttf"),
    ("CampusNoto", "NotoSans-Regular.ttf"),
    ("CampusNotoArabic", "NotoSansArabic-Regular.ttf"),
    ("CampusDroidFallback", "DroidSansFallbackFull.ttf"),
)
BOLD = ("CampusDejaVuBold", "DejaVuSans-Bold.ttf")
#: A sample character of each script certificates must render.
SCRIPTS = {"Latin": "é", "Cyrillic": "Ж", "Greek": "Ω", "Arabic": "ع", "CJK": "漢"}
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class FontSet:
    names: tuple[str, ...]
    cmaps: tuple[frozenset[int], ...]
    bold: str | None

    def font_for(self, char: str) -> str | None:
        code = ord(char)
        for name, cmap in zip(self.names, self.cmaps, strict=True):
            if code in cmap:
                return name
        return None

    def runs(self, text: str) -> Iterator[tuple[str, str, bool]]:
        """``(font, text, found)`` runs: consecutive characters drawn with one font."""
        current: str | None = None
        found_current = True
        buffer = ""
        for char in text:
            font = self.font_for(char)
            found = font is not None or char.isspace()
            font = font or (current if char.isspace() and current else self.names[0])
            if font != current and buffer:
                yield current or self.names[0], buffer, found_current
                buffer = ""
            if not buffer:
                found_current = True
            current = font
            found_current = found_current and found
            buffer += char
        if buffer:
            yield current or self.names[0], buffer, found_current


def _dirs(font_dirs: str) -> list[Path]:
    raw = [d for d in font_dirs.split(os.pathsep) if d] if font_dirs else list(SYSTEM_DIRS)
    return [Path(d) for d in raw]


@cache
def _find(font_dirs: str, file_name: str) -> Path | None:
    for base in _dirs(font_dirs):
        if not base.is_dir():
            continue
        direct = base / file_name
        if direct.is_file():
            return direct
        for path in base.rglob(file_name):
            return path
    return None


@cache
def font_set(font_dirs: str) -> FontSet:
    """Register the fonts found (once per process) and return the chain."""
    names: list[str] = []
    cmaps: list[frozenset[int]] = []
    with _lock:
        for name, file_name in CHAIN:
            path = _find(font_dirs, file_name)
            if path is None:
                continue
            font = TTFont(name, str(path))
            pdfmetrics.registerFont(font)
            names.append(name)
            cmaps.append(frozenset(font.face.charToGlyph))
        bold_path = _find(font_dirs, BOLD[1])
        bold = None
        if bold_path is not None:
            pdfmetrics.registerFont(TTFont(BOLD[0], str(bold_path)))
            bold = BOLD[0]
    if not names:
        raise RuntimeError(
            "no certificate font found: install fonts-dejavu-core (and fonts-noto-core, "
            "fonts-droid-fallback) or set CAMPUS_CREDENTIALS_FONT_DIRS"
        )
    return FontSet(tuple(names), tuple(cmaps), bold)


def font_paths(font_dirs: str) -> dict[str, Path]:
    """Registered font name -> file (Pillow draws the PNG with the same files)."""
    found: dict[str, Path] = {}
    for name, file_name in (*CHAIN, BOLD):
        path = _find(font_dirs, file_name)
        if path is not None:
            found[name] = path
    return found


def missing_scripts(font_dirs: str) -> list[str]:
    """The scripts of ``SCRIPTS`` no installed font covers."""
    try:
        fonts = font_set(font_dirs)
    except RuntimeError:
        return list(SCRIPTS)
    return [script for script, sample in SCRIPTS.items() if fonts.font_for(sample) is None]
