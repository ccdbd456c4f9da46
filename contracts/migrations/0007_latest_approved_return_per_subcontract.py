import django.db.models.deletion
from django.db import migrations, models

FROZEN = ("approved", "locked")


def fill_latest(apps, schema_editor):
    """Each subcontract's latest approved or locked return, as
    contracts.services.returns.latest_returns_refresh now keeps it."""
    PerformanceReturn = apps.get_model("contracts", "PerformanceReturn")
    LatestReturn = apps.get_model("contracts", "LatestReturn")
    latest = {}
    rows = (
        PerformanceReturn.objects.filter(status__in=FROZEN)
        .order_by("subcontract_id", "-period__start")
        .values_list("subcontract_id", "pk", "consortium_id")
    )
    for sub_id, ret_id, consortium_id in rows.iterator():
        latest.setdefault(sub_id, (ret_id, consortium_id))
    LatestReturn.objects.bulk_create(
        (
            LatestReturn(subcontract_id=sub_id, ret_id=ret_id, consortium_id=consortium_id)
            for sub_id, (ret_id, consortium_id) in latest.items()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consortium", "0008_api_tokens"),
        ("contracts", "0006_pack_sign_off_in_background"),
    ]

    operations = [
        migrations.CreateModel(
            name="LatestReturn",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "consortium",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="consortium.consortium",
                    ),
                ),
                (
                    "ret",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="latest_of",
                        to="contracts.performancereturn",
                    ),
                ),
                (
                    "subcontract",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="latest_return",
                        to="contracts.subcontract",
                    ),
                ),
            ],
        ),
        migrations.RunPython(fill_latest, migrations.RunPython.noop),
    ]
