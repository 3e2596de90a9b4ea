"""The Thai font kmbot draws and serves: Sarabun (SIL Open Font License), shipped as a Python
package (fontpkg-sarabun) so that it travels with kmbot. The web pages serve it and the reach
charts draw with it."""

from __future__ import annotations

from pathlib import Path

SARABUN_FILES = frozenset({"Sarabun-Regular.ttf", "Sarabun-Bold.ttf", "Sarabun-SemiBold.ttf"})


def sarabun_directory() -> Path:
    """The folder holding the Sarabun .ttf files."""
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.__file__).resolve().parent / "files"


def sarabun_font_path(weight: str = "Regular") -> Path:
    """One weight's file, e.g. ``sarabun_font_path("Bold")``."""
    return sarabun_directory() / f"Sarabun-{weight}.ttf"
