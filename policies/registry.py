"""Every policy of the logmesh-soc2 pack, in pack order. `approved-exceptions` must stay last: it reports the
exceptions the other policies recorded during the same analysis."""

from __future__ import annotations

from pulumi_policy import Policy

from policies import identity, keys, kubernetes, stack, storage

ALL_POLICIES: list[Policy] = [
    *storage.POLICIES,
    *keys.POLICIES,
    *identity.POLICIES,
    *kubernetes.POLICIES,
    *stack.POLICIES,
    stack.approved_exceptions,
]
