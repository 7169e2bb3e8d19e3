"""Secret keys: generated strong, refused when weak by estimated entropy (no deny list).

The estimate is zxcvbn's: dictionary words, keyboard walks, repeats, sequences and
dates count for what an attacker's cracker would need, not for their length.
"""

from __future__ import annotations

import math
import secrets

from zxcvbn import zxcvbn

MIN_KEY_BITS = 160
_ZXCVBN_MAX = 72  # zxcvbn refuses longer inputs; the estimate of a prefix is a lower bound


def key_strength_bits(key: str) -> float:
    if not key:
        return 0.0
    result = zxcvbn(key[:_ZXCVBN_MAX])
    return float(result["guesses_log10"]) * math.log2(10)


def weak_key_reason(key: str | None) -> str | None:
    """Why ``key`` cannot sign sessions, or None when it is strong enough."""
    if not key:
        return "No cookie key is configured."
    bits = key_strength_bits(key)
    if bits < MIN_KEY_BITS:
        return (
            f"The cookie key is guessable (about {bits:.0f} bits of entropy, at least {MIN_KEY_BITS} "
            "needed): anyone who cracks it could forge a session. Run `bo secrets generate` for a strong one."
        )
    return None


def generate_key() -> str:
    """384 random bits, URL-safe (64 characters)."""
    return secrets.token_urlsafe(48)
