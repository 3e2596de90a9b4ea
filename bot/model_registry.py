"""Imports every module that defines tables, so the metadata is complete for migrations."""

from __future__ import annotations


def import_all_models() -> None:
    import bot.models  # noqa: F401
    import kb.models  # noqa: F401
    import kb.plan_models  # noqa: F401
    import scheduler.models  # noqa: F401
    import bot.registration_models  # noqa: F401
    import scheduler.knowledge_push_models  # noqa: F401
