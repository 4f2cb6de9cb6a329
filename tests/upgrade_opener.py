"""A process that opens an old store, which upgrades it, so a test can kill it part-way.

Run as ``python -m tests.upgrade_opener DATA_DIR``. It prints ``ready`` once imported,
the store's log lines (one says it is upgrading), then ``upgraded`` once the store is
open (and so upgraded), and waits to be killed.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from routines.store import Store


def main(argv: list[str]) -> int:
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    print("ready", flush=True)
    Store.open(Path(argv[0])).close()
    print("upgraded", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
