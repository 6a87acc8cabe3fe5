"""/api/v1/: the partner API, its OpenAPI schema and its docs page."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView

from api import problems
from api.views import (
    connections,
    documents,
    errors,
    mappings,
    organisations,
    syncs,
    tie_out,
    webhooks,
)

app_name = "api_v1"

ORG = "organisations/<slug:slug>/"

urlpatterns = [
    # JSON, not YAML: YAML 1.1 readers turn a time such as 06:00 into a number.
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_v1:schema"), name="docs"),
    path("organisations/", organisations.OrganisationList.as_view(), name="organisations"),
    path(ORG, organisations.OrganisationDetail.as_view(), name="organisation"),
    path(ORG + "members/", organisations.MemberList.as_view(), name="members"),
    path(ORG + "members/<int:pk>/", organisations.MemberDetail.as_view(), name="member"),
    path(ORG + "invitations/", organisations.InvitationList.as_view(), name="invitations"),
    path(
        ORG + "invitations/<int:pk>/", organisations.InvitationDetail.as_view(), name="invitation"
    ),
    path(
        ORG + "invitations/<int:pk>/resend/",
        organisations.InvitationResend.as_view(),
        name="invitation_resend",
    ),
    path(ORG + "connections/", connections.ConnectionList.as_view(), name="connections"),
    path(ORG + "connections/<int:pk>/", connections.ConnectionDetail.as_view(), name="connection"),
    path(
        ORG + "connections/<int:pk>/disconnect/",
        connections.ConnectionDisconnect.as_view(),
        name="connection_disconnect",
    ),
    path(ORG + "connect-links/", connections.ConnectLinkList.as_view(), name="connect_links"),
    path(
        ORG + "connect-links/<int:pk>/",
        connections.ConnectLinkDetail.as_view(),
        name="connect_link",
    ),
    path(ORG + "mappings/", mappings.MappingList.as_view(), name="mappings"),
    path(ORG + "mappings/<int:pk>/", mappings.MappingDetail.as_view(), name="mapping"),
    path(
        ORG + "mappings/<int:pk>/autosetup/",
        mappings.MappingAutosetup.as_view(),
        name="mapping_autosetup",
    ),
    path(ORG + "mappings/<int:pk>/refs/", mappings.MappingRefs.as_view(), name="mapping_refs"),
    path(
        ORG + "mappings/<int:pk>/products/",
        mappings.MappingProducts.as_view(),
        name="mapping_products",
    ),
    path(
        ORG + "mappings/<int:pk>/products/<str:product_id>/",
        mappings.MappingProduct.as_view(),
        name="mapping_product",
    ),
    path(ORG + "syncs/", syncs.SyncRunList.as_view(), name="syncs"),
    path(ORG + "syncs/<int:pk>/", syncs.SyncRunDetail.as_view(), name="sync"),
    path(ORG + "documents/", documents.DocumentList.as_view(), name="documents"),
    path(ORG + "documents/<int:pk>/", documents.DocumentDetail.as_view(), name="document"),
    path(
        ORG + "documents/<int:pk>/retry/",
        documents.DocumentRetry.as_view(),
        name="document_retry",
    ),
    path(
        ORG + "documents/<int:pk>/ignore/",
        documents.DocumentIgnore.as_view(),
        name="document_ignore",
    ),
    path(ORG + "errors/", errors.ErrorGroupList.as_view(), name="errors"),
    path(ORG + "errors/<str:key>/", errors.ErrorGroupDetail.as_view(), name="error"),
    path(ORG + "errors/<str:key>/retry/", errors.ErrorGroupRetry.as_view(), name="error_retry"),
    path(ORG + "errors/<str:key>/ignore/", errors.ErrorGroupIgnore.as_view(), name="error_ignore"),
    path(ORG + "tie-out/", tie_out.TieOutList.as_view(), name="tie_out"),
    path(
        ORG + "webhook-endpoints/", webhooks.WebhookEndpointList.as_view(), name="webhook_endpoints"
    ),
    path(
        ORG + "webhook-endpoints/<int:pk>/",
        webhooks.WebhookEndpointDetail.as_view(),
        name="webhook_endpoint",
    ),
    path(
        ORG + "webhook-endpoints/<int:pk>/deliveries/",
        webhooks.DeliveryList.as_view(),
        name="webhook_deliveries",
    ),
    path(
        ORG + "webhook-endpoints/<int:pk>/test/",
        webhooks.WebhookEndpointTest.as_view(),
        name="webhook_test",
    ),
    path(
        ORG + "webhook-endpoints/<int:pk>/deliveries/<int:delivery>/retry/",
        webhooks.DeliveryRetry.as_view(),
        name="webhook_delivery_retry",
    ),
    # Anything else under /api/v1/ is a problem+json 404, never the HTML page.
    re_path(r"^(?P<path>.*)$", problems.not_found, name="not_found"),
]
