"""On PostgreSQL, the append-only tables (events, the audit chain, the security log) refuse
TRUNCATE as they refuse UPDATE and DELETE."""

from django.db import migrations

from consortium import chain


def add_truncate_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in chain.truncate_trigger_sql(schema_editor.connection.vendor, install=True):
            cursor.execute(sql)


def remove_truncate_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in chain.truncate_trigger_sql(schema_editor.connection.vendor, install=False):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("consortium", "0004_practitioner_role_and_reminders"),
    ]

    operations = [
        migrations.RunPython(add_truncate_triggers, remove_truncate_triggers),
    ]
