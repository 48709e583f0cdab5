"""Reading a stack's configuration: `load_config()` is the only way the program reads it. It either returns a complete
`PlatformConfig` or raises `ConfigError` listing every problem, one line each, before any resource is registered."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
from pydantic import ValidationError

from components.config.checks import check_alerting, check_cloud_fields, check_datadog, copied_entries, resolve
from components.config.schema import KNOWN_KEYS, NAMESPACE, RETIRED_COLLECTORS, ConfigError, PlatformConfig, StackShape, key_path
from components.config.stack_file import SECRET_KEYS


def _describe(error: Mapping[str, Any]) -> str:
    # Pydantic's locations for model validators end in a synthetic part; keep the key path only.
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{key_path(loc)}: unknown key; remove it or check its spelling"
    if error["type"] == "missing":
        return f"{key_path(loc)}: required key is missing"
    if error["type"] == "string_pattern_mismatch":
        message = "must be a lowercase DNS label (a-z, 0-9 and '-', starting and ending with a letter or digit)"
        if loc and loc[-1] == "ingest_domain":
            message = "must be a lowercase DNS domain of two or more labels, such as logs.example.internal"
    if loc and loc[-1] == "sampling_percent" and error["type"] in ("less_than_equal", "greater_than_equal"):
        message = "must be between 0 and 100, the percentage of requests the mesh traces"
    got = error.get("input")
    if loc and loc[-1] == "collector" and isinstance(got, str) and got in RETIRED_COLLECTORS:
        return f"{key_path(loc)}: {RETIRED_COLLECTORS[got]}"
    shown = "" if isinstance(got, (dict, list)) or error["type"] == "model_type" else f" (got {got!r})"
    return f"{key_path(loc)}: {message}{shown}"


def parse_config(raw: Mapping[str, Any], secret_keys: Iterable[str] = ()) -> PlatformConfig:
    """Validates the `logmesh:*` keys (without the namespace) given as plain Python values.

    `secret_keys` names the keys the stack stores encrypted; keys in SECRET_KEYS must be among them."""
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    problems = [f"{key_path([key])}: unknown key; the logmesh keys are {', '.join(KNOWN_KEYS)}" for key in unknown]
    problems += [
        f"{key_path([key])}: holds credentials and must be a secret; set it with "
        f"`pulumi config set --secret --path '{NAMESPACE}:{key}.<name>' <value>`"
        for key in SECRET_KEYS
        if raw.get(key) and key not in set(secret_keys)
    ]
    try:
        stack = StackShape.model_validate({k: v for k, v in raw.items() if k in KNOWN_KEYS})
    except ValidationError as exc:
        problems += [_describe(e) for e in exc.errors()]
        raise ConfigError(problems) from None
    problems += check_cloud_fields(stack)
    problems += copied_entries(stack)
    problems += check_alerting(stack.alerting, stack.environment, stack.backend, "alerting" in set(secret_keys))
    resolve_problems, clusters = resolve(stack)
    problems += resolve_problems
    problems += check_datadog(stack, clusters, "datadog" in set(secret_keys))
    if problems:
        raise ConfigError(problems)
    return PlatformConfig(
        environment=stack.environment,
        org=stack.org,
        backend=stack.backend,
        retention=stack.retention,
        stores=tuple(stack.stores),
        clusters=clusters,
        daily_volume_gb=stack.daily_volume_gb,
        outage_window_hours=stack.outage_window_hours,
        ingest_domain=stack.ingest_domain,
        kubeconfigs=dict(stack.kubeconfigs),
        alerting=stack.alerting,
        datadog=stack.datadog,
        tracing=stack.tracing,
    )


# The top-level keys that hold a whole number, read with the SDK's int getter.
_NUMBER_KEYS = frozenset(key for key, spec in StackShape.model_fields.items() if spec.annotation is int)


def _decode(key: str, value: Any) -> Any:
    """Config values reach the program as strings; structured ones are JSON."""
    if not isinstance(value, str):
        return value
    try:
        # The SDK's typed getters: int() or json.loads of the value (preflight answers each, typed, for a secret it
        # cannot decrypt).
        config = pulumi.Config(NAMESPACE)
        if config.get(key) != value:
            return json.loads(value)
        if key in _NUMBER_KEYS:
            try:
                return config.get_int(key)
            except pulumi.ConfigTypeError:
                pass  # not a whole number (50.5, "lots"): the schema says why
        return config.get_object(key)
    except (json.JSONDecodeError, pulumi.ConfigTypeError):
        if key in ("environment", "org", "backend", "ingest_domain"):
            return value
        raise ConfigError([f"{NAMESPACE}:{key}: is not valid YAML/JSON structure (got {value[:60]!r})"]) from None


def _raw_stack_config() -> tuple[dict[str, Any], list[str]]:
    # pulumi.Config can only read keys it is asked for; to reject unknown keys we need them all.
    # The Python SDK keeps them in the runtime config map (set by the CLI's PULUMI_CONFIG or by mocks).
    from pulumi.runtime import config as runtime_config

    merged: dict[str, Any] = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    prefix = NAMESPACE + ":"
    values = {k[len(prefix) :]: _decode(k[len(prefix) :], v) for k, v in merged.items() if k.startswith(prefix)}
    secret = [k for k in values if runtime_config.is_config_secret(prefix + k)]
    secret += [k[len(prefix) :] for k in runtime_config.get_config_secret_keys_env() if k.startswith(prefix)]
    return values, secret


def load_config() -> PlatformConfig:
    """Reads and validates the current stack's `logmesh:*` configuration."""
    values, secret_keys = _raw_stack_config()
    return _with_leaf_secrecy(values, secret_keys)


def _with_leaf_secrecy(values: dict[str, Any], secret_keys: list[str]) -> PlatformConfig:
    """`parse_config`, with every credential leaf the stack file holds checked to be `secure:` there. Without a stack
    file (config from elsewhere, e.g. PULUMI_CONFIG alone) the key-level check of `secret_keys` is all there is."""
    from components.config.stack_file import plaintext_credentials, stack_file_config

    written = stack_file_config(pulumi.get_stack())
    problems, settled = plaintext_credentials(values, written) if written is not None else ([], set())
    try:
        platform = parse_config(values, [*secret_keys, *settled])
    except ConfigError as exc:
        raise ConfigError(problems + exc.problems) from None
    if problems:
        raise ConfigError(problems)
    return platform
