"""A local QuickBooks Online emulator: Intuit OAuth 2.0 plus the Accounting API v3 subset we use.

See README.md in this folder for how to run it and what is (and is not) emulated.
"""

from __future__ import annotations
