"""`python -m kb.index_build`: build the search index file of a database, in a process of its own.

The search service (`kb.search_service`) runs this when the store changed and its index is kept on
disk, so that segmenting and indexing never hold the interpreter of a process that answers
questions. It reads one JSON object on its standard input, {"url": database URL, "folder": the
index folder, "keep": index files kept}, builds the index (or finds it built by another process),
and prints {"revision": ..., "key": ...} on its standard output. Warnings go to standard error.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

BUILDER_NICENESS = 10


def main() -> int:
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    if hasattr(os, "nice"):
        # Background work: on a machine of two cores, the processes answering questions go first.
        os.nice(BUILDER_NICENESS)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    request = json.loads(sys.stdin.read())
    from kb.search_service import IndexFiles, build_index_file

    files = IndexFiles(Path(request["folder"]), keep=int(request.get("keep", 3)))
    revision, key = build_index_file(str(request["url"]), files)
    sys.stdout.write(json.dumps({"revision": revision, "key": key}) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
