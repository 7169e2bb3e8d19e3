"""AES-256-GCM of the gateway's webhook notifications.

The body is the hex ciphertext (without the tag); the 12-byte IV and the
16-byte authentication tag come hex-encoded in the ``X-Initialization-Vector``
and ``X-Authentication-Tag`` headers. A valid tag is the authentication.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IV_BYTES, TAG_BYTES, KEY_BYTES = 12, 16, 32


class WebhookDecryptError(Exception):
    """The notification is not authentic (bad hex, IV, tag or key)."""


def _unhex(value: str | bytes, what: str, size: int | None = None) -> bytes:
    try:
        text = value.decode("ascii") if isinstance(value, bytes) else value
        raw = bytes.fromhex(text.strip())
    except (ValueError, UnicodeDecodeError):
        raise WebhookDecryptError(f"{what} is not hexadecimal") from None
    if size is not None and len(raw) != size:
        raise WebhookDecryptError(f"{what} must be {size} bytes")
    return raw


def decrypt(key: bytes, iv_hex: str, tag_hex: str, body_hex: str | bytes) -> bytes:
    """The plaintext of a notification; raises ``WebhookDecryptError`` if it is not authentic."""
    if len(key) != KEY_BYTES:
        raise WebhookDecryptError("the webhook secret must be 32 bytes")
    iv = _unhex(iv_hex, "X-Initialization-Vector", IV_BYTES)
    tag = _unhex(tag_hex, "X-Authentication-Tag", TAG_BYTES)
    body = _unhex(body_hex, "body")
    try:
        return AESGCM(key).decrypt(iv, body + tag, None)
    except InvalidTag:
        raise WebhookDecryptError("authentication failed (ciphertext, IV, tag or key do not match)") from None


def encrypt(key: bytes, plaintext: bytes, iv: bytes | None = None) -> tuple[str, str, str]:
    """(body hex, IV hex, tag hex) of ``plaintext``: what the gateway sends."""
    iv = iv if iv is not None else os.urandom(IV_BYTES)
    sealed = AESGCM(key).encrypt(iv, plaintext, None)
    return sealed[:-TAG_BYTES].hex().upper(), iv.hex().upper(), sealed[-TAG_BYTES:].hex().upper()
