"""ASGI entry point: the `intake` process (gunicorn's asyncio worker, see README Operations).

Stripe's webhook POSTs are answered by connections/intake.py on the event loop; every other
request goes to Django's ASGI handler, so this process can serve the whole product too.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()

from connections.intake import StripeWebhookIntake  # noqa: E402 - needs the apps loaded

application = StripeWebhookIntake(django_application)
