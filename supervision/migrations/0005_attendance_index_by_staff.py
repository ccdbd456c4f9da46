from django.db import migrations


class Migration(migrations.Migration):
    """Attendance read by staff member, with the session beside it: the access policy finds a
    reader's sessions from the staff they may read with an index-only scan instead of reading
    every attendance row."""

    dependencies = [("supervision", "0004_compliance_months")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX supervision_attendance_staff_session ON "
            "supervision_supervisionsession_attendees (staffmember_id, supervisionsession_id)",
            "DROP INDEX supervision_attendance_staff_session",
        )
    ]
