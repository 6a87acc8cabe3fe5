"""The webhook inbox without foreign-key constraints, its payload compressed with lz4.

Both save PostgreSQL time on every stored event (models.py says why; bench/webhooks measures).
"""

import logging

import django.db.models.deletion
from django.db import DatabaseError, migrations, models, transaction

logger = logging.getLogger(__name__)


def compress_payload_with_lz4(apps, schema_editor):
    """New rows only (PostgreSQL compresses on write). A server built without lz4 keeps pglz."""
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                "ALTER TABLE connections_inboundevent ALTER COLUMN payload SET COMPRESSION lz4"
            )
    except DatabaseError as error:
        logger.warning("inbox payload keeps PostgreSQL's default compression: %s", error)


def default_compression(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE connections_inboundevent ALTER COLUMN payload SET COMPRESSION default"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('connections', '0001_initial'),
        ('tenants', '0002_site_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='inboundevent',
            name='connection',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='events', to='connections.connection'),
        ),
        migrations.AlterField(
            model_name='inboundevent',
            name='tenant',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='inbound_events', to='tenants.tenant'),
        ),
        migrations.RunPython(compress_payload_with_lz4, default_compression),
    ]
