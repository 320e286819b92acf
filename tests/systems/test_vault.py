from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.core.management import call_command

from hub.systems import vault
from hub.systems.models import Secret, System
from hub.systems.services import keys_rotate, secret_reveal, secret_set

pytestmark = pytest.mark.django_db

TOKEN = "crm-token-7f3a9c1e5b"


@pytest.fixture
def crm() -> System:
    return System.objects.create(
        name="CRM", kind="http_json", params={"base_url": "http://127.0.0.1:9", "auth_style": "bearer"}
    )


def test_a_secret_is_stored_encrypted_and_read_back_with_its_reason(crm, business_admin):
    secret = secret_set(system=crm, name="bearer_token", value=TOKEN, actor=business_admin)

    stored = Secret.objects.get(pk=secret.pk)
    assert TOKEN not in stored.ciphertext
    assert secret_reveal(secret=stored, reason="test of the vault", actor=business_admin) == TOKEN
    access = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert access.additional_data == {
        "event": "decrypted",
        "accessed": "secret bearer_token",
        "reason": "test of the vault",
    }
    assert access.actor == business_admin
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_rotation_reencrypts_under_the_newest_key_and_old_keys_still_read(crm, settings):
    secret = secret_set(system=crm, name="bearer_token", value=TOKEN, actor=None)
    old_token = secret.ciphertext
    new_key = Fernet.generate_key().decode()
    settings.HUB_ENCRYPTION_KEYS = [new_key, *settings.HUB_ENCRYPTION_KEYS]

    assert vault.decrypt(old_token) == TOKEN  # the old key still decrypts
    assert keys_rotate() == 1
    secret.refresh_from_db()
    assert secret.ciphertext != old_token
    assert Fernet(new_key).decrypt(secret.ciphertext.encode()).decode() == TOKEN


def test_a_secret_whose_key_was_removed_says_so_plainly(crm, settings):
    secret = secret_set(system=crm, name="bearer_token", value=TOKEN, actor=None)
    settings.HUB_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(vault.VaultError, match="cannot be decrypted with the configured keys"):
        secret_reveal(secret=secret, reason="test")


def test_rotate_keys_command_with_a_new_key_writes_the_key_file_and_reencrypts(crm, settings, tmp_path):
    key_file = tmp_path / "encryption_keys"
    key_file.write_text("\n".join(settings.HUB_ENCRYPTION_KEYS) + "\n")
    settings.HUB_ENCRYPTION_KEY_FILE = key_file
    settings.HUB_ENCRYPTION_KEYS_FROM_FILE = True
    secret = secret_set(system=crm, name="bearer_token", value=TOKEN, actor=None)

    call_command("rotate_keys", "--new-key")

    keys = key_file.read_text().split()
    assert len(keys) == 2
    assert (key_file.stat().st_mode & 0o777) == 0o600
    secret.refresh_from_db()
    assert Fernet(keys[0]).decrypt(secret.ciphertext.encode()).decode() == TOKEN
