"""Seals record how they link (existing ones: version 1, as they were sealed); the chain's head remembers what
it last wrote to the head record and when it last looked for late entries; checks keep their warnings."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_logentry_reviewer_indexes")]

    operations = [
        migrations.AddField(
            model_name="auditseal",
            name="link_version",
            field=models.PositiveSmallIntegerField(default=1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="chainhead", name="recorded_sequence", field=models.BigIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="chainhead", name="recorded_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="chainhead", name="full_scan_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="auditverification",
            name="warnings",
            field=models.JSONField(
                default=list,
                help_text="What the check could not look at (such as a missing head record file).",
            ),
        ),
    ]
