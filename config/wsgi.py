from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_wsgi_application()

# Stripe's webhook POSTs skip Django's middleware (connections/fastpath.py says why).
from connections.fastpath import StripeWebhookFront  # noqa: E402

application = StripeWebhookFront(django_application)
