"""Memo patches of pulumi_policy internals, which make one analyze() convert each resource's properties once.

What they patch, all private to pulumi-policy (pinned; tests/preflight/analyze/test_servicer.py checks that they change
no finding and that the module is restored):
- two methods of one `_PolicyAnalyzerServicer` instance, `_get_resource_options` and `_get_provider_resource`, for the
  servicer's lifetime (`memoize_resource_views`);
- three names in the `pulumi_policy.policy` module, `json_format`, `deserialize_properties` and
  `unknown_checking_proxy`, for the duration of one analyze() (`converting_each_struct_once`).
Why: per policy, the servicer rebuilds the same views of the same request message, so a pack of P policies converts
a stack P times. Each patched step is a pure function of its argument and each memo is keyed by that argument's
identity, so the findings are those of the servicer left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pulumi_policy import policy as policy_module


class Memo:
    """Remembers f(x) by the identity of x, holding x so its id cannot be reused while the memo lives."""

    def __init__(self, function: Any) -> None:
        self._function = function
        self._results: dict[int, tuple[Any, Any]] = {}

    def __call__(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._function(value, *args, **kwargs)
        held = self._results.get(id(value))
        if held is None or held[0] is not value:
            held = self._results[id(value)] = (value, self._function(value))
        return held[1]


class _JsonFormat:
    """json_format as pulumi_policy.policy sees it during a run, with MessageToDict memoized."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.MessageToDict = Memo(real.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextmanager
def converting_each_struct_once() -> Iterator[None]:
    """The servicer turns a resource's properties Struct into policy props once per policy: Struct -> dict
    (json_format.MessageToDict), secrets and assets unwrapped (deserialize_properties), then wrapped in the
    unknown-checking proxy. AnalyzeStack does that for every resource for every stack policy, so a pack of P
    stack policies costs P conversions of the whole stack. The three steps are pure, and the servicer hands the
    same Struct object to every policy (protobuf returns the same wrapper for a field while its message lives),
    so each is memoized by identity for the duration of one analyze(). Policies must treat props as read-only,
    as they do under the CLI, where each sees the same values. Everything else is the servicer's own code."""
    names = ("json_format", "deserialize_properties", "unknown_checking_proxy")
    originals = {name: getattr(policy_module, name) for name in names}
    setattr(policy_module, "json_format", _JsonFormat(originals["json_format"]))  # noqa: B010
    setattr(policy_module, "deserialize_properties", Memo(originals["deserialize_properties"]))  # noqa: B010
    setattr(policy_module, "unknown_checking_proxy", Memo(originals["unknown_checking_proxy"]))  # noqa: B010
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(policy_module, name, original)


def memoize_resource_views(servicer: Any) -> None:
    """Per policy, the servicer rebuilds each resource's options and provider view from the same request message;
    both are pure functions of it (see converting_each_struct_once), so build each once."""
    for method in ("_get_resource_options", "_get_provider_resource"):
        setattr(servicer, method, Memo(getattr(servicer, method)))
