"""Tests of the QuickBooks Online emulator."""

from __future__ import annotations
