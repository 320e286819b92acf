"""Encryption of secrets at rest with cryptography's MultiFernet: the newest key encrypts, all decrypt."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class VaultError(Exception):
    pass


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.HUB_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise VaultError(
            "This secret cannot be decrypted with the configured keys (HUB_ENCRYPTION_KEYS): "
            "was a key removed before `manage.py rotate_keys` re-encrypted everything? Set the secret again."
        ) from None


def reencrypt(token: str) -> str:
    """The same secret, encrypted under the newest key."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise VaultError(
            "A secret cannot be decrypted with any configured key; it was left as it is."
        ) from None
