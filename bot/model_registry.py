"""Imports every module that defines tables, so the metadata is complete for migrations."""

from __future__ import annotations


def import_all_models() -> None:
    import bot.models  # noqa: F401
