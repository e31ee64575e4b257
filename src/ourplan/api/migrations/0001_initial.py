import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("people", "0002_staff_role_without_practitioner"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("name", models.CharField(help_text="Who or what uses it, shown in the audit trail", max_length=200)),
                ("token_hash", models.CharField(help_text="SHA-256 (hex) of the token", max_length=64, unique=True)),
                ("scopes", models.TextField(help_text="SMART v2 scopes, space separated")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("expires_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked", models.BooleanField(default=False)),
                ("organisation", models.ForeignKey(blank=True, help_text="For system clients: whose registered people they may see", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="people.organisation")),
                ("patient", models.ForeignKey(blank=True, help_text="For patient/ scopes: the one person the token may see", null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="people.person")),
                ("user", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
