from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.db import migrations


def name_the_site(apps, schema_editor):  # type: ignore[no-untyped-def]
    # allauth's emails say "Hello from <site name>"; the default would be "example.com".
    site_model = apps.get_model("sites", "Site")
    domain = urlparse(settings.SITE_URL).netloc or "localhost"
    site_model.objects.update_or_create(id=settings.SITE_ID, defaults={"domain": domain, "name": "Tieout"})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial"), ("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
