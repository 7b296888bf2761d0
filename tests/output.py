"""Where tests put what a person may want to look at afterwards (screenshots, executed notebooks):
``$RECOPS_TEST_OUTPUT``, else ``test-output/`` in the checkout (ignored by git). ``make
screenshots`` points it at a scratch folder and copies the docs' pictures from there."""

from __future__ import annotations

import os
from pathlib import Path

OUTPUT_ENV = "RECOPS_TEST_OUTPUT"
OUTPUT_DIR = Path(os.environ.get(OUTPUT_ENV) or Path(__file__).resolve().parents[1] / "test-output").absolute()
