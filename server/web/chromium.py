"""The browser the office pages are tested and measured in: Debian's Chromium under Playwright.

Playwright's own browser download cannot be reached, so ``tests/browser`` and ``bench.office``
both start /usr/bin/chromium (``KIOSK_CHROMIUM`` names another) with the switches below:
headless, no sandbox (the tests run as root), and nothing that calls out to the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium"))
SWITCHES = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def launch(playwright: Any) -> Any:
    """A headless Chromium Browser from a started ``sync_playwright()`` (or its async twin)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(SWITCHES))
