"""Filebeat collectors: verified TLS, labels, a disk queue, and an ECK operator for every Beat."""

from __future__ import annotations

from components.collectors.interface import CA_FILE
from components.names import COLLECTOR_NAMESPACE
from preflight.record.recording import Recording
from tests.helpers.collector_lookups import (
    BEAT,
    RELEASE,
    by_kind,
    ca_configmap,
    workload,
)
from tests.helpers.harness import elk_config
from tests.helpers.support import below, plain, provider_name


def test_filebeat_verifies_tls_labels_and_queues_on_disk(elk_with_filebeat: Recording) -> None:
    config = elk_config(elk_with_filebeat.stack)
    beats = by_kind(elk_with_filebeat, "Filebeat")
    assert len(beats) == sum(1 for c in config["logmesh:clusters"] if c.get("collector") == "filebeat") > 0
    for collector in beats:
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        beat = workload(elk_with_filebeat, collector)
        spec = beat["spec"]
        output = spec["config"]["output.elasticsearch"]
        ca_configmap(elk_with_filebeat, collector)
        assert output["ssl"] == {"certificate_authorities": [CA_FILE], "verification_mode": "full"}
        assert output["hosts"][0].startswith("https://")
        assert (output["username"], output["password"]) == ("${LOGMESH_OUTPUT_USERNAME}", "${LOGMESH_OUTPUT_PASSWORD}")
        [add_fields] = [p["add_fields"] for p in spec["config"]["processors"] if "add_fields" in p]
        assert add_fields == {
            "target": "labels",
            "fields": {"cloud": cluster["cloud"], "cluster": cluster["name"], "environment": config["logmesh:environment"]},
        }
        assert spec["config"]["queue.disk"]["max_size"]
        [container] = spec["daemonSet"]["podTemplate"]["spec"]["containers"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert spec["type"] == "filebeat" and beat["apiVersion"] == "beat.k8s.elastic.co/v1beta1"


def test_every_filebeat_runs_under_an_eck_operator_that_manages_the_collectors_namespace(elk_with_filebeat: Recording) -> None:
    """ECK runs a Beat only in the namespaces its operator manages, and a cluster without the operator has no Beat CRD:
    on a backend's cluster the backend's operator also manages `collectors`; elsewhere the collector brings its own."""
    config = elk_config(elk_with_filebeat.stack)
    backend_clusters = {s["cluster"]: s["name"] for s in config["logmesh:stores"]}
    beats = by_kind(elk_with_filebeat, "Filebeat")
    assert beats
    for collector in beats:
        [beat] = below(elk_with_filebeat, collector, BEAT)
        own = [r for r in below(elk_with_filebeat, collector, RELEASE) if r.inputs["chart"] == "eck-operator"]
        if collector.name in backend_clusters:
            assert own == []
            [backend] = [
                r
                for r in elk_with_filebeat.resources
                if r.type == "logmesh:backends:ElkBackend" and r.name == backend_clusters[collector.name]
            ]
            [operator] = [r for r in below(elk_with_filebeat, backend, RELEASE) if r.inputs["chart"] == "eck-operator"]
        else:
            [operator] = own
            assert operator.inputs["version"] == "3.5.0" and operator.inputs["namespace"] == "elastic-system"
            assert provider_name(operator) == f"{collector.name}-k8s"
        assert operator.urn in beat.dependencies
        values = plain(operator.inputs)["values"]
        assert COLLECTOR_NAMESPACE in values["managedNamespaces"] and values["installCRDs"] is True
