"""A reminder's key includes its stage (due, overdue, expiring…), so that an object reminded
as due reminds again when it is overdue. Reminders already sent are given the stage they were
sent at, so that nothing is sent a second time after the upgrade."""

from django.db import migrations, models

# The one stage of each kind that has one; the others are worked out row by row below.
ONE_STAGE = {
    "funding.stream_expiring": "expiring",
    "funding.payment_overdue": "overdue",
    "returns.due": "due",
    "returns.late": "late",
    "returns.review": "waiting",
    "assurance.acknowledge": "waiting",
    "assurance.query": "waiting",
    "workforce.supervision_overdue": "missed",
}
DUE_OR_OVERDUE = ("risks.review_due", "risks.action_due", "workforce.actions_due")


def stage_of(row):
    if row.object_key.endswith(":more"):
        return "more"
    if row.kind in ONE_STAGE:
        return ONE_STAGE[row.kind]
    if row.kind in DUE_OR_OVERDUE:
        return "overdue" if row.about < row.sent_on.isoformat() else "due"
    if row.kind in ("workforce.own_checks", "workforce.staff_checks"):
        return "lapsed" if row.about == "not deployable" else "expiring"
    if row.kind == "outcomes.claim_waiting":
        return "verification" if row.about == "submitted" else "approval"
    return "sent"


def fill_stages(apps, schema_editor):
    ReminderSent = apps.get_model("consortium", "ReminderSent")
    rows = list(ReminderSent._base_manager.all())
    for row in rows:
        row.stage = stage_of(row)
    ReminderSent._base_manager.bulk_update(rows, ["stage"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("consortium", "0005_append_only_refuses_truncate"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="remindersent",
            name="one_reminder_per_key",
        ),
        migrations.AddField(
            model_name="remindersent",
            name="stage",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.RunPython(fill_stages, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="remindersent",
            constraint=models.UniqueConstraint(
                fields=("user", "kind", "object_key", "stage", "about"),
                name="one_reminder_per_key",
            ),
        ),
    ]
