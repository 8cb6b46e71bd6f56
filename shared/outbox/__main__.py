"""``python -m shared.outbox --db PATH {list,replay,deliver}``."""

import sys

from shared.outbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
