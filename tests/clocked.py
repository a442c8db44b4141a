"""Run a module on the test suite's clock: `python -m tests.clocked backoffice.cli worker …`.

Integration tests start real worker processes; this puts them on the same fixed instant as
the test that seeds their data (see tests/clock.py), so neither side reads today's date.
`TEST_START` (set by the starting test) carries the test's current fake instant across.
"""

from __future__ import annotations

import os
import runpy
import sys
from datetime import datetime

import time_machine

from tests.clock import test_now


def main() -> None:
    start = os.environ.get("TEST_START")
    when = datetime.fromisoformat(start) if start else test_now()
    module, sys.argv = sys.argv[1], sys.argv[1:]
    with time_machine.travel(when, tick=True):
        runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
