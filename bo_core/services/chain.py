"""The hash of one chained record: canonical JSON, the previous hash, and a keyed MAC.

Two chains use it: the audit trail (``bo_core.services.audit``) and the security
events (``bo_core.security.event_chain``). A record's ``hash_version`` says how
its hash was computed, so records written before a change keep verifying:

- version 0 (records written before keyed MACs): SHA-256 over the previous hash
  and the canonical JSON of the record's hashed fields;
- version 1: the same, followed by HMAC-SHA256 under ``BO_AUDIT_KEY`` of that
  text (``bo_core.security.audit_key``). Without the key nobody can recompute it.

- a later version (when the hashed fields grow) is keyed the same way; each
  chain's ``hashed_payload`` maps a version to its fields.

A chain may start with version-0 records, never return to them after a keyed one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
KEYED = 1
CURRENT_VERSION = KEYED


def canonical(content: Mapping[str, Any]) -> str:
    """Sorted-key compact JSON; datetimes in ISO 8601."""
    plain = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in content.items()}
    return json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, payload: str, version: int, key: bytes | None) -> str:
    """The stored hash of a record whose hashed content is ``payload``."""
    text = (prev_hash + payload).encode("utf-8")
    if version == 0:
        return hashlib.sha256(text).hexdigest()
    if version < KEYED or version > CURRENT_VERSION:
        raise ValueError(f"unknown hash version {version}")
    if not key:
        raise ValueError("a keyed record needs the audit key")
    mac = hmac.new(key, text, hashlib.sha256).hexdigest()
    return hashlib.sha256(text + mac.encode("ascii")).hexdigest()
