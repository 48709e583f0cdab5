"""The resources each policy examined, as the pack records them (the control matrix's "evaluated").

A pack opts in by defining `drain_examined() -> set[tuple[policy, urn]]` in one of its modules (logmesh-soc2:
`policies.framework`, see `policies/examined.py` for what counts as examined). Packs without it record nothing, and
reports say so instead of guessing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

Drain = Callable[[], set[tuple[str, str]]]


def examined_hooks(directory: Path) -> list[Drain]:
    """The `drain_examined` functions of the pack's loaded modules (those whose file is under `directory`)."""
    root = str(directory.resolve())
    hooks: list[Drain] = []
    for module in list(sys.modules.values()):
        # The module's own namespace, never getattr: the provider SDKs' lazy modules import every submodule on an
        # attribute miss (about 150 s of imports for pulumi_aws and pulumi_gcp).
        namespace = getattr(module, "__dict__", {})
        file = namespace.get("__file__") or ""
        if not file or not str(Path(file).resolve()).startswith(root):
            continue
        hook = namespace.get("drain_examined")
        if callable(hook) and hook not in hooks:
            hooks.append(hook)
    return hooks


def drain(hooks: list[Drain]) -> dict[str, list[str]] | None:
    """policy -> the URNs it examined, sorted; None when the pack records nothing."""
    if not hooks:
        return None
    examined: dict[str, set[str]] = {}
    for hook in hooks:
        for policy, urn in hook():
            examined.setdefault(policy, set()).add(urn)
    return {policy: sorted(urns) for policy, urns in sorted(examined.items())}
