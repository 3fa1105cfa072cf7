"""Move DRF authtoken keys into django-rest-knox, then drop the table of plaintext keys.

Clients hold 40-hex-character keys from rest_framework.authtoken, stored in plain text in
``authtoken_token``. knox stores a digest of the whole token (SHA-512, knox.crypto.hash_token) and looks
rows up by its first 15 characters (``token_key``), whatever the token's length (knox.auth reads
``token[:TOKEN_KEY_LENGTH]`` and hashes the full string), so an old key keeps working unchanged: each is
copied as its digest, with an expiry of API_TOKEN_TTL_DAYS from this migration. Then the plaintext table
is dropped, and the migration records of the removed app with it (rest_framework.authtoken is no longer
installed; re-adding it would create an empty table).

A database that never had DRF tokens (a new one) has no such table: nothing to do. Not reversible: the
plaintext keys are gone by design (the reverse leaves the knox rows in place).
"""
import datetime

from django.conf import settings
from django.db import migrations

OLD_TABLE = "authtoken_token"


def move_authtoken_keys(apps, schema_editor):
    from django.utils import timezone
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    quoted = schema_editor.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, created, user_id FROM {quoted}")
        rows = cursor.fetchall()
    for key, created, user_id in rows:
        digest = hash_token(key)
        if AuthToken.objects.using(connection.alias).filter(digest=digest).exists():
            continue
        token = AuthToken.objects.using(connection.alias).create(
            digest=digest, token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH], user_id=user_id, expiry=expiry
        )
        # Keep when the client got its key (auto_now_add set "now" above).
        AuthToken.objects.using(connection.alias).filter(pk=token.pk).update(created=created)
    schema_editor.execute(f"DROP TABLE {quoted}")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_idempotency_keys"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunPython(move_authtoken_keys, reverse_code=migrations.RunPython.noop, elidable=False),
    ]
