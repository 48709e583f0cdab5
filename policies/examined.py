"""Which resources each policy examined in this analysis: the evidence that a control operated, and on what.

A policy examined a resource when its check read that resource's properties (`props`). Filtering by type, name or
URN is not examining: a stack policy that scans `args.resources` for buckets examines the buckets it reads, not every
resource it skipped (nor those a join only probed, see `probing`), and a policy that reads nothing examined nothing
(0 evaluated in the control matrix). The framework hands each check views whose `props` access records
`(policy, urn)` in `RECORDED`, a process-global set like `policies.exceptions.RECORDED`: preflight drains it after
the analysis (`drain_examined`). Under the Pulumi CLI nothing drains it; it holds at most one entry per policy and
resource of the run.

Why props access rather than each policy's declared types: most policies are stack policies that declare no types and
join several (a bucket and its separate encryption resource), so declared types would either miss what they read or
claim resources they never looked at.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

P = ParamSpec("P")
T = TypeVar("T")
RECORDED: set[tuple[str, str]] = set()
_PROBING: list[bool] = []


@contextmanager
def probing() -> Iterator[None]:
    """Reads inside are a join's probe (does this resource name a bucket?), not an examination: nothing is recorded.
    The resources the join then attaches to a subject are read again outside, and recorded."""
    _PROBING.append(True)
    try:
        yield
    finally:
        _PROBING.pop()


def probe(function: Callable[P, T]) -> Callable[P, T]:
    """A helper that classifies or joins (a release's chart, a resource's namespace, its identifying names): its reads
    are probes, whoever calls it."""

    @functools.wraps(function)
    def probed(*args: P.args, **kwargs: P.kwargs) -> T:
        with probing():
            return function(*args, **kwargs)

    return probed


def _record(policy: str, urn: str) -> None:
    if not _PROBING:
        RECORDED.add((policy, urn))


class _RecordsProps:
    """Records `(policy, urn)` when the check reads `props` or `opts` (data descriptors: they win over the copied
    attributes). Resource options are examined too: a key's `protect` option is all key-deletion-protected reads."""

    urn: str
    _watched_policy: str
    _watched_props: Mapping[str, Any]
    _watched_opts: Any

    def _watch(self, source: Any, policy: str) -> None:
        self.__dict__.update(source.__dict__)
        self._watched_props = source.__dict__["props"]
        self._watched_opts = source.__dict__["opts"]
        self._watched_policy = policy

    @property
    def opts(self) -> Any:
        _record(self._watched_policy, self.urn)
        return self._watched_opts

    @opts.setter
    def opts(self, value: Any) -> None:
        self._watched_opts = value

    @property
    def props(self) -> Mapping[str, Any]:
        _record(self._watched_policy, self.urn)
        return self._watched_props

    @props.setter
    def props(self, value: Mapping[str, Any]) -> None:
        self._watched_props = value


class _WatchedResource(_RecordsProps, PolicyResource):
    """A stack policy's view of one resource."""

    def __init__(self, resource: PolicyResource, policy: str) -> None:
        self._watch(resource, policy)


class _WatchedArgs(_RecordsProps, ResourceValidationArgs):
    """A resource policy's args."""

    def __init__(self, args: ResourceValidationArgs, policy: str) -> None:
        self._watch(args, policy)

    def not_applicable(self, reason: str | None = None) -> None:
        """Not applicable is not evaluated, whatever the check read to find that out."""
        RECORDED.discard((self._watched_policy, self.urn))
        super().not_applicable(reason)


def watch_resource(args: ResourceValidationArgs, policy: str) -> ResourceValidationArgs:
    return _WatchedArgs(args, policy)


def watch_stack(args: StackValidationArgs, policy: str) -> StackValidationArgs:
    watched = StackValidationArgs.__new__(StackValidationArgs)
    watched.__dict__.update(args.__dict__)
    watched.resources = [_WatchedResource(r, policy) for r in args.resources]
    return watched


def drain_examined() -> set[tuple[str, str]]:
    """The (policy, urn) pairs recorded since the last drain; empties the record."""
    taken = set(RECORDED)
    RECORDED.clear()
    return taken
