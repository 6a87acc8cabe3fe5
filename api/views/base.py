"""What every API view shares: scoped lists with cursor pagination, the caller's access."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.serializers import Serializer

from api.access import ApiAccess, get_tenant_for_api
from api.authentication import KeyPrincipal
from api.pagination import Cursor


class ScopedList(generics.ListAPIView):  # type: ignore[type-arg]
    # A list of one organisation's rows: `scoped()` returns them, newest first by cursor.

    pagination_class = Cursor

    def access(self) -> ApiAccess:
        return get_tenant_for_api(self.request, self.kwargs["slug"])

    def scoped(self, access: ApiAccess) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.scoped(self.access())


def valid(serializer_class: type[Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validated input, or a 400 problem listing the fields."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """Filters from the query string (unknown parameters are ignored, like cursor and limit)."""
    return valid(serializer_class, request.query_params)


def actor_name(request: Request) -> str:
    """Who did it, for notes that people read later ('Ignored by …')."""
    if isinstance(request.user, KeyPrincipal):
        return str(request.user)
    return str(getattr(request.user, "email", "") or "a user")


def object_or_404(queryset: QuerySet[Any], pk: Any) -> Model:
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFound
    return row


def bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})
