"""Secret values in wire properties: recognise them, redact them for reports, and collect them for scrubbing.

On the wire (what the engine and a policy pack see) a secret is `{SIG_KEY: SECRET_SIG, "value": v}`; a
`pulumi stack export` writes `{SIG_KEY: SECRET_SIG, "ciphertext": "..."}`, or `"plaintext": "<json>"` with
`--show-secrets`. The signature constants are the SDK's (pulumi.runtime.rpc), which mirror the engine's
sdk/go/common/resource/properties.go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pulumi.runtime import rpc

SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
RESOURCE_SIG: str = rpc._special_resource_sig
UNKNOWN: str = rpc.UNKNOWN

REDACTED = "[secret]"
# Offline a stack file's encrypted values (`{secure: ...}`) cannot be decrypted; the program sees this stand-in.
# It is no secret, but it is no real value either, so reports show it as a secret wherever it appears.
SECRET_PLACEHOLDER = "preflight-secret-placeholder"

# Free text (policy messages) is scrubbed of exact secret values, whatever their length or shape: a secret string
# whole, and of a secret document (a kubeconfig, a collector config: text with several lines, or JSON) the text
# whole plus the leaves that are credentials, since a policy quotes one setting out of it. Other words of the
# document (a bucket or host name) stay readable. A value is matched only where it stands as a word of its own, so
# a secret "dev" leaves "acme-dev-logs" alone.
_CREDENTIAL_KEY = re.compile(r"pass|secret|token|key|cred|auth|cert|private|bearer|signature|session", re.IGNORECASE)
_KEY_VALUE = re.compile(r"""(?P<key>[\w.-]+)["']?[ \t]*[:=][ \t]*(?P<quote>["']?)(?P<value>[^\s"',;{}]+)(?P=quote)""")
_URL_WITH_LOGIN = re.compile(r"[a-z][a-z0-9+.-]*://(?P<user>[^\s:@/\"']*):(?P<password>[^\s@/\"']+)@[^\s\"'<>]*", re.IGNORECASE)
_WORD_BEFORE = r"(?<![\w-])(?<!\w\.)"
_WORD_AFTER = r"(?![\w-])(?!\.\w)"


def _document_credentials(text: str) -> set[str]:
    """The credentials inside a secret document: values under credential-like keys, URLs with a password in them."""
    found: set[str] = set()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict | list):
        found.update(_credential_leaves(parsed))
    for match in _KEY_VALUE.finditer(text):
        if _CREDENTIAL_KEY.search(match["key"]):
            found.add(match["value"])
    for match in _URL_WITH_LOGIN.finditer(text):
        found.update((match[0], match["password"]))
    return {value for value in found if value and value != UNKNOWN}


def _credential_leaves(value: Any, key: str = "") -> set[str]:
    if isinstance(value, dict):
        return {leaf for k, v in value.items() for leaf in _credential_leaves(v, str(k))}
    if isinstance(value, list):
        return {leaf for v in value for leaf in _credential_leaves(v, key)}
    if isinstance(value, str) and _CREDENTIAL_KEY.search(key):
        return {value} | _document_credentials(value)
    return _document_credentials(value) if isinstance(value, str) else set()


def _is_document(text: str) -> bool:
    stripped = text.strip()
    return "\n" in stripped or stripped[:1] in ("{", "[")


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
    if isinstance(value, str) and SECRET_PLACEHOLDER in value:
        return REDACTED  # a secure value the program read as a plain string (`config.get`) and passed on
    return value


def secret_strings(values: Iterable[Any]) -> set[str]:
    """The exact secret values in `values` (secrets nested anywhere) to scrub from free text such as policy messages."""
    found: set[str] = set()

    def leaves(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list):
            for v in value:
                leaves(v)
        elif isinstance(value, str) and value and value != UNKNOWN:
            found.add(value)
            if _is_document(value):
                found.update(_document_credentials(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
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
    """Replaces exact secret values, where each stands as a word of its own, and the offline secret stand-in in free
    text with "[secret]" (one regex pass per text)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        ordered = sorted({s for s in secrets if s.strip()} | {SECRET_PLACEHOLDER}, key=len, reverse=True)
        self._pattern = re.compile(_WORD_BEFORE + "(?:" + "|".join(re.escape(s) for s in ordered) + ")" + _WORD_AFTER)

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if text else text
