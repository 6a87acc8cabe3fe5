"""Cursor pagination on every list: stable under inserts, opaque cursors, newest first."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    # Ids only grow, so "-id" is a unique, unchanging order (DRF's cursor requirement).
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    invalid_cursor_message = "The cursor is not valid; start again from the first page."
