"""Fluent Bit collectors: verified TLS, labels, buffering on the node and unlimited retries."""

from __future__ import annotations

from typing import Any

from components.collectors.interface import BUFFER_HOST_PATH, CA_DIR, CA_FILE
from preflight.record.recording import Recording
from tests.helpers.collector_lookups import (
    by_kind,
    ca_configmap,
    fluent_bit_sections,
    workload,
)


def test_fluent_bit_verifies_tls_labels_buffers_and_retries(any_example: tuple[Recording, dict[str, Any]]) -> None:
    recording, config = any_example
    env = config["logmesh:environment"]
    checked = 0
    for collector in by_kind(recording, "FluentBit"):
        cluster = next(c for c in config["logmesh:clusters"] if c["name"] == collector.name)
        values = workload(recording, collector)
        ca_configmap(recording, collector)
        [service] = fluent_bit_sections(values["config"], "service")
        [tail] = fluent_bit_sections(values["config"], "inputs")
        [output] = [s for s in fluent_bit_sections(values["config"], "outputs") if s["Name"] != "datadog"]  # the backend's
        # TLS with verification against the backend CA mounted from the ConfigMap.
        assert (output["tls"], output["tls.verify"], output["tls.ca_file"]) == ("On", "On", CA_FILE)
        # Without it Fluent Bit checks the chain but not that the certificate names the host (default Off).
        assert output["tls.verify_hostname"] == "On"
        assert {"name": "backend-ca", "mountPath": CA_DIR, "readOnly": True} in values["daemonSetVolumeMounts"]
        # No loss: filesystem buffers and the tail DB on a hostPath, bounded; retries without limit.
        state = next(m["mountPath"] for m in values["daemonSetVolumeMounts"] if m["name"] == "buffer")
        buffer = next(v for v in values["daemonSetVolumes"] if v["name"] == "buffer")
        assert buffer["hostPath"]["path"].startswith(BUFFER_HOST_PATH)
        assert service["storage.path"].startswith(state) and tail["DB"].startswith(state)
        assert tail["storage.type"] == "filesystem" and tail["multiline.parser"] == "docker, cri"
        assert service["storage.backlog.mem_limit"] and output["storage.total_limit_size"]
        assert output["Retry_Limit"] == "no_limits"
        assert values["resources"]["requests"] and values["resources"]["limits"]
        if output["Name"] == "loki":
            labels = dict(pair.split("=", 1) for pair in output["labels"].split(", "))
            assert labels == {
                "cloud": cluster["cloud"],
                "cluster": cluster["name"],
                "environment": env,
                "namespace": "$kubernetes['namespace_name']",
            }
            metadata = dict(pair.split("=", 1) for pair in output["structured_metadata"].split(", "))
            assert {"trace_id", "request_id"} <= set(metadata)
            assert output["uri"] == "/loki/api/v1/push"
        else:
            # To Elasticsearch, or to the store's aggregation tier, which writes on (tests/components/aggregation/).
            if output["Name"] == "forward":
                assert output["Shared_Key"] == "${LOGMESH_OUTPUT_SHARED_KEY}" and output["Require_ack_response"] == "True"
            else:
                assert output["Name"] == "es" and output["Suppress_Type_Name"] == "On" and output["Write_Operation"] == "create"
            [nest] = [f for f in fluent_bit_sections(values["config"], "filters") if f["Name"] == "nest"]
            [modify] = [f for f in fluent_bit_sections(values["config"], "filters") if f["Name"] == "modify"]
            assert nest["Nest_under"] == "labels"
            assert (
                modify["Add"]
                == f"logmesh_label_cloud {cluster['cloud']},logmesh_label_cluster {cluster['name']},logmesh_label_environment {env}"
            )
        checked += 1
    assert checked == sum(1 for c in config["logmesh:clusters"] if c.get("collector", "fluent-bit") == "fluent-bit")
