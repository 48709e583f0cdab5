"""Which collector component a cluster's `collector` setting names."""

from __future__ import annotations

import pulumi

from components.collectors.alloy import AlloyCollector
from components.collectors.base import Collector
from components.collectors.filebeat import FilebeatCollector
from components.collectors.fluent_bit import FluentBitCollector
from components.collectors.interface import CollectorArgs

COLLECTORS: dict[str, type[Collector]] = {"fluent-bit": FluentBitCollector, "alloy": AlloyCollector, "filebeat": FilebeatCollector}


def collector_for(name: str, args: CollectorArgs, opts: pulumi.ResourceOptions | None = None) -> Collector:
    """The collector the cluster's config names."""
    return COLLECTORS[args.cluster.collector](name, args, opts)
