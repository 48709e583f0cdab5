"""The backend namespace's network policies: deny by default, then only the named paths."""

from __future__ import annotations

from preflight.record.recording import Recording
from tests.helpers.backend_lookups import (
    backends,
    policies,
)
from tests.helpers.backend_program import config_for

# --- network policies and pod security --------------------------------------------------------------------------


def test_logging_namespace_denies_by_default_and_allows_only_named_paths(recorded: tuple[str, str, Recording]) -> None:
    stack, kind, recording = recorded
    exposed = "logmesh:ingest_domain" in config_for(stack, kind)
    tiered = {s["name"] for s in config_for(stack, kind)["logmesh:stores"] if s.get("aggregation")}
    for backend in backends(recording):
        found = policies(recording, backend)
        assert found["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = found["allow-dns"]
        assert dns["podSelector"] == {} and dns["policyTypes"] == ["Egress"]
        [rule] = dns["egress"]
        assert {(p["protocol"], p["port"]) for p in rule["ports"]} == {("UDP", 53), ("TCP", 53)}
        assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
        direct = "collectors-to-loki-gateway" if kind == "loki" else "collectors-to-elasticsearch"
        if backend.name in tiered:
            # Behind its tier (Fluentd, Logstash) the backend admits the tier, not the collectors (tests/components/aggregation/).
            assert direct not in found
        else:
            [rule] = found[direct]["ingress"]
            assert [p["port"] for p in rule["ports"]] == [8080 if kind == "loki" else 9200]
            local = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "collectors"}}, "podSelector": {}}
            anywhere = [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}]
            # Published on the internal load balancer, collectors of other clusters arrive from addresses the cluster
            # cannot know: any source, gated by TLS and a password. Otherwise only the local collectors' namespace.
            assert rule["from"] == ([local, *anywhere] if exposed else [local])
        storage = found["loki-object-storage" if kind == "loki" else "elasticsearch-object-storage"]
        assert storage["policyTypes"] == ["Egress"]
        assert storage["egress"][0] == {"ports": [{"port": 443, "protocol": "TCP"}]}
        if kind == "loki":
            assert found["grafana-to-loki-gateway"]["ingress"][0]["from"] == [
                {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": "grafana"}}}
            ]
        else:
            sources = found["clients-to-elasticsearch"]["ingress"][0]["from"]
            assert {"podSelector": {"matchLabels": {"kibana.k8s.elastic.co/name": "logmesh"}}} in sources
        for name, spec in found.items():
            if name != "default-deny":
                assert spec.get("ingress") or spec.get("egress"), name
