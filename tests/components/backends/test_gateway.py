"""The Loki gateway's nginx access map: the collector only pushes its tenants, the Grafana reader only reads."""

from __future__ import annotations

import json
import re

from components.backends.gateway import loki_gateway_access_map


def nginx_map_value(text: str, key: str) -> str:
    """What an nginx `map` gives for `key`: an exact string first, then the regular expressions in order, then the
    default (nginx `map` semantics; PCRE and Python agree on the anchors and literals used here)."""
    entries: list[tuple[str, str]] = []
    for line in text.splitlines()[1:-1]:
        left, value = line.strip().rstrip(";").rsplit(" ", 1)
        entries.append((json.loads(left) if left.startswith('"') else left, value))
    default = dict(entries).pop("default")
    exact = {k: v for k, v in entries if k != "default" and not k.startswith("~")}
    if key in exact:
        return exact[key]
    return next((v for k, v in entries if k.startswith("~") and re.search(k[1:], key)), default)


def test_gateway_access_map_limits_the_collector_to_pushing_its_tenants() -> None:
    text = loki_gateway_access_map(["a", "b"])
    assert text.startswith('map "$remote_user:$uri:$http_x_scope_orgid" $logmesh_forbidden {\n  default 1;\n')
    assert text.endswith("}\n")
    allowed = {
        "collector:/loki/api/v1/push:a",
        "collector:/loki/api/v1/push:b",
        ":/:",  # the unauthenticated health check
        "grafana:/loki/api/v1/query_range:a|b",
        "grafana:/loki/api/v1/labels:a|b",
        "grafana:/loki/api/v1/label/namespace/values:a|b",
        "grafana:/loki/api/v1/series:a|b",
        "grafana:/loki/api/v1/index/stats:a|b",
        "grafana:/loki/api/v1/tail:a",
        "grafana:/loki/api/v1/status/buildinfo:",
        "grafana:/loki/api/v1/rules:a",
        "grafana:/prometheus/api/v1/rules:a",
        "grafana:/prometheus/api/v1/alerts:a",
    }
    refused = {
        "collector:/loki/api/v1/push:c",  # not one of the store's tenants
        "collector:/loki/api/v1/push:a|b",
        "collector:/loki/api/v1/push:",
        "collector:/loki/api/v1/query_range:a",
        "collector:/flush:",
        "grafana:/loki/api/v1/push:a",
        # Operations, not reading: a log deletion request, cache generations, flushing or stopping an ingester.
        "grafana:/loki/api/v1/delete:a",
        "grafana:/loki/api/v1/cache/generation_numbers:a",
        "grafana:/flush:",
        "grafana:/ingester/shutdown:",
        "grafana:/config:",
        "grafana:/memberlist:",
        "grafana:/ring:",
        "grafana:/compactor/ring:",
        "grafana:/:",
        "admin:/loki/api/v1/query_range:a",
        ":/loki/api/v1/push:a",
    }
    assert {key for key in allowed | refused if nginx_map_value(text, key) == "0"} == allowed
