"""AES-256-GCM of the notifications: the spec's test vector, and tampering refused."""

from __future__ import annotations

import pytest

from bo_core.gateway.crypto import WebhookDecryptError, decrypt, encrypt

KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f")
IV = "3D575574536D450F71AC76D8"
PLAINTEXT = b'{"type": "PAYMENT"}'
CIPHERTEXT = "F8E2F759E528CB69375E51DB2AF9B53734E393"
TAG = "19FDD068C6F383C173D3A906F7BD1D83"


def test_the_spec_test_vector_decrypts() -> None:
    assert decrypt(KEY, IV, TAG, CIPHERTEXT) == PLAINTEXT
    assert decrypt(KEY, IV.lower(), TAG.lower(), CIPHERTEXT.lower().encode()) == PLAINTEXT


def test_encrypting_the_vector_gives_the_spec_ciphertext_and_tag() -> None:
    assert encrypt(KEY, PLAINTEXT, bytes.fromhex(IV)) == (CIPHERTEXT, IV, TAG)


def _flip(hex_text: str, index: int = 0) -> str:
    digit = "0" if hex_text[index] != "0" else "1"
    return hex_text[:index] + digit + hex_text[index + 1 :]


@pytest.mark.parametrize(
    ("iv", "tag", "body", "key"),
    [
        (IV, TAG, _flip(CIPHERTEXT, 5), KEY),
        (_flip(IV), TAG, CIPHERTEXT, KEY),
        (IV, _flip(TAG, 31), CIPHERTEXT, KEY),
        (IV, TAG, CIPHERTEXT, bytes(32)),
        (IV[:-2], TAG, CIPHERTEXT, KEY),
        (IV, TAG[:-2], CIPHERTEXT, KEY),
        (IV, TAG, CIPHERTEXT + "0", KEY),
        (IV, TAG, "not hex at all", KEY),
        ("", "", CIPHERTEXT, KEY),
    ],
)
def test_any_tampering_fails_to_decrypt(iv: str, tag: str, body: str, key: bytes) -> None:
    with pytest.raises(WebhookDecryptError):
        decrypt(key, iv, tag, body)
