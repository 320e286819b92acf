from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0009_inboundbatch_page"),
        ("systems", "0003_link_health"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["flow", "state"], name="delivery_flow_due"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["record", "target", "state"], name="delivery_order"),
        ),
    ]
