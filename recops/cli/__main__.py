"""``python -m recops.cli``: the ``recops`` command."""

import sys

from .commands import main

sys.exit(main())
