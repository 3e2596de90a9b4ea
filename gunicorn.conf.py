"""gunicorn settings for the Procfile's `web` (docs/deploy.md, docs/performance.md).

The app is loaded once in the master before the workers are forked (`preload_app`), and its
search index is built (or loaded from disk) there too: the workers then share those pages
(Python code, the LINE SDK's models, the segmenter's dictionary, the index) instead of each
holding its own copy. Connections are closed before forking, so no worker inherits another's.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

preload_app = True


def when_ready(server: Any) -> None:
    """In the master, after the app is loaded and before any worker is forked."""
    from bot.web.extensions import get_database, get_search

    app = server.app.wsgi()
    database = get_database(app)
    try:
        get_search(app).warm(database.engine)
    except Exception:  # noqa: BLE001 - each worker builds it on its first question then
        logging.getLogger("kmbot").exception("search index could not be built before forking")
    database.dispose()
    # Objects made so far are left out of the collector's passes, which would otherwise touch
    # (and so copy) every shared page in every worker.
    gc.collect()
    gc.freeze()
