"""Who marked a follow-up task done and when; a partial index for the list of open tasks."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('caring', '0003_references_per_statement'),
        ('portfolio', '0006_ledger_references_per_statement'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='caringtask',
            name='done_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='done at'),
        ),
        migrations.AddField(
            model_name='caringtask',
            name='done_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='caringtask',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['client', 'created_at'], name='caring_task_open'),
        ),
    ]
