"""Masking for the audit trail: a masked value is hidden whole (auditlog's default keeps half of it)."""

REDACTED = "[redacted]"


def mask_fully(value: object) -> str:
    return REDACTED
