"""The Elasticsearch setup Job and its script."""

from __future__ import annotations

import json
from typing import Any

from components.dashboards.kibana import saved_objects_ndjson
from preflight.record.recording import Registration
from tests.helpers.backend_lookups import (
    backends,
    elk_backend_recording,
)
from tests.helpers.support import below, plain


def setup_pods() -> list[tuple[Registration, dict[str, Any], dict[str, Any]]]:
    """Each backend, its setup Job's pod spec and the pod's volumes by name."""
    recording, found = elk_backend_recording("prod"), []
    for backend in backends(recording):
        pod = plain(below(recording, backend, "kubernetes:batch/v1:Job")[0].inputs)["spec"]["template"]["spec"]
        found.append((backend, pod, {v["name"]: v for v in pod["volumes"]}))
    return found


def test_es_setup_job_reads_the_elastic_password_from_a_mounted_secret() -> None:
    recording = elk_backend_recording("prod")  # recorded once
    for backend, pod, volumes in setup_pods():
        assert volumes["es-user"]["secret"]["secretName"] == "logmesh-es-elastic-user"
        assert "env" not in pod["containers"][0] and "envFrom" not in pod["containers"][0]
        script = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]["setup.sh"]
        assert "--netrc-file /tmp/netrc" in script and "/etc/es-user/elastic" in script
        for path in (
            "_ilm/policy/logmesh-logs",
            "_index_template/logmesh-logs",
            "_snapshot/logmesh-archive",
            "_slm/policy/logmesh-nightly",
        ):
            assert f"put {path} " in script
        assert (
            volumes["setup"]["configMap"]["name"]
            == plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].outputs)["metadata"]["name"]
        )


def test_es_setup_job_imports_the_kibana_saved_objects_over_tls() -> None:
    recording = elk_backend_recording("prod")  # recorded once
    for backend, _pod, volumes in setup_pods():
        assert volumes["kibana-ca"]["secret"]["secretName"] == "logmesh-kb-http-certs-public"
        data = plain(below(recording, backend, "kubernetes:core/v1:ConfigMap")[0].inputs)["data"]
        imported = [json.loads(line) for line in data["kibana-saved-objects.ndjson"].splitlines()]
        expected = [json.loads(line) for line in saved_objects_ndjson("").splitlines()]
        assert [(o["type"], o["id"]) for o in imported] == [(o["type"], o["id"]) for o in expected]
        trail = next(o for o in imported if o["id"] == "logmesh-audit-trail")
        text = json.loads(trail["attributes"]["visState"])["params"]["markdown"]
        assert "audit log entry" in text or "CloudTrail data event" in text
        script = data["setup.sh"]
        assert "https://logmesh-kb-http.logging.svc:5601/api/saved_objects/_import?overwrite=true" in script
        assert "--cacert /etc/kibana-ca/ca.crt" in script and "kbn-xsrf: logmesh" in script
        assert '"success":true' in script  # the import answers 200 with success false on a bad object
    # The Job's pods may reach Kibana, and Kibana accepts them.
    policies = {
        plain(p.inputs)["metadata"]["name"]: plain(p.inputs)["spec"]
        for p in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    egress_peers = [peer["podSelector"]["matchLabels"] for rule in policies["es-setup-egress"]["egress"] for peer in rule["to"]]
    assert {"kibana.k8s.elastic.co/name": "logmesh"} in egress_peers
    ingress_peers = [
        peer.get("podSelector", {}).get("matchLabels") for rule in policies["clients-to-kibana"]["ingress"] for peer in rule["from"]
    ]
    assert {"app.kubernetes.io/name": "logmesh-es-setup"} in ingress_peers
