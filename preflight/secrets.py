"""Secret values in wire properties: recognise them, redact them for reports, and collect them for scrubbing.

On the wire (what the engine and a policy pack see) a secret is `{SIG_KEY: SECRET_SIG, "value": v}`; a
`pulumi stack export` writes `{SIG_KEY: SECRET_SIG, "ciphertext": "..."}`, or `"plaintext": "<json>"` with
`--show-secrets`. The signature constants are the SDK's (pulumi.runtime.rpc), which mirror the engine's
sdk/go/common/resource/properties.go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pulumi.runtime import rpc

SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
RESOURCE_SIG: str = rpc._special_resource_sig
UNKNOWN: str = rpc.UNKNOWN

REDACTED = "[secret]"
# Free text (policy messages) is scrubbed of secret strings that look like credentials: a secret object also holds
# plain words (a username "admin" or "collector" beside its password hash), and blanking those from every message
# would hide which resource a message is about. Properties are always redacted whole, whatever they hold.
_MIN_SCRUB_LENGTH = 6
_PLAIN_WORD = re.compile(r"[a-z][a-z_-]{0,23}")
# A secret document (a collector config, a values file) reaches messages in pieces: a policy quotes one URL or
# setting from it. Its words, split where config syntax splits them, are scrubbed as well as the whole text.
_DOCUMENT_SEPARATORS = re.compile(r"""[\s"'`=,;{}()\[\]<>]+""")
_URL_SEPARATORS = re.compile(r"[:@/?&]+")  # and a URL's user, password and host each


def _credential_like(text: str) -> bool:
    return len(text) >= _MIN_SCRUB_LENGTH and text != UNKNOWN and not _PLAIN_WORD.fullmatch(text)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def secret(value: Any) -> dict[str, Any]:
    return {SIG_KEY: SECRET_SIG, "value": value}


def redact(value: Any) -> Any:
    """A copy of `value` with every secret replaced by "[secret]"; safe to print."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return REDACTED
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def secret_strings(values: Iterable[Any]) -> set[str]:
    """Every string inside a secret in `values` (nested anywhere), to scrub from free text such as policy messages."""
    found: set[str] = set()

    def leaves(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list):
            for v in value:
                leaves(v)
        elif isinstance(value, str) and _credential_like(value):
            found.add(value)
            for word in _DOCUMENT_SEPARATORS.split(value):
                pieces = [word, *_URL_SEPARATORS.split(word)] if word != value else _URL_SEPARATORS.split(word)
                found.update(piece for piece in pieces if piece != value and _credential_like(piece))
        elif isinstance(value, int | float) and not isinstance(value, bool) and _credential_like(str(value)):
            found.add(str(value))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get(SIG_KEY) == SECRET_SIG:
                leaves(value.get("value"))
                leaves(value.get("plaintext"))
                return
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for value in values:
        walk(value)
    return found


class Scrubber:
    """Replaces known secret strings in free text with "[secret]" (one regex pass per text)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        ordered = sorted(set(secrets), key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern is not None and text else text
