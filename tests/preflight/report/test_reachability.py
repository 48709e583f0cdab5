"""Network paths as data, for every example stack with both backends: every flow the platform needs is allowed by
the NetworkPolicies logmesh registers, and nothing else reaches the backend namespace.

Without a chart cache the charts' pods are not rendered, so this test describes them as data taken from the
upstream charts at the pinned versions (each label set cites its template); the same check runs on the rendered
objects in tests/system/test_rendered_charts.py when a cache is present.
"""

from __future__ import annotations

from typing import Any

import pytest

from preflight.record.recording import Recording, Registration
from preflight.report.network_needs import matrix
from preflight.report.reachability import Pod, network_of
from tests.helpers.harness import LOKI_STACKS, STACKS, elk_recording, example_recording

LOKI_COMPONENTS = {
    # loki 18.11.0: `loki.selectorLabels` (templates/_helpers.tpl: app.kubernetes.io/name, app.kubernetes.io/instance)
    # plus each workload's `app.kubernetes.io/component` (templates/<component>/statefulset-*.yaml, deployment-*.yaml).
    "Distributed": (
        "distributor", "ingester", "querier", "query-frontend", "query-scheduler", "index-gateway", "compactor", "ruler",
        "gateway", "memcached-chunks-cache", "memcached-results-cache",
    ),
    "Monolithic": ("single-binary", "gateway", "memcached-chunks-cache", "memcached-results-cache"),
}  # fmt: skip
# Container ports as the charts declare them: the gateway's nginx listens on 8080 (templates/gateway/deployment-gateway-nginx.yaml
# `http-metrics`), Loki components on 3100/9095/7946 (templates/_pod.tpl), memcached on 11211.
LOKI_PORTS = {"gateway": ((8080, "TCP", "http-metrics"),), "memcached": ((11211, "TCP", "client"),)}
LOKI_DEFAULT_PORTS = ((3100, "TCP", "http-metrics"), (9095, "TCP", "grpc"), (7946, "TCP", "http-memberlist"))


def chart_pods(release: Registration) -> list[Pod]:
    """The pods a release's chart creates, labelled as its templates label them."""
    chart, name = release.inputs["chart"], release.inputs.get("name") or release.inputs["chart"]
    namespace, values = release.inputs["namespace"], release.inputs.get("values") or {}
    pod_labels: dict[str, Any] = values.get("podLabels") or {}

    def pod(pod_name: str, labels: dict[str, str], ports: tuple[tuple[int, str, str], ...] = ()) -> Pod:
        return Pod(release.provider, namespace, pod_name, labels, ports)

    if chart == "loki":
        pods = []
        for component in LOKI_COMPONENTS[values.get("deploymentMode", "Distributed")]:
            ports = LOKI_PORTS.get(component.split("-")[0], LOKI_DEFAULT_PORTS)
            labels = {"app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": component}
            pods.append(pod(f"loki-{component}", labels, ports))
        return pods
    if chart == "grafana":  # grafana 12.11.1 templates/_helpers.tpl `grafana.selectorLabels`; container port 3000
        return [pod("grafana", {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": name}, ((3000, "TCP", "grafana"),))]
    if chart in ("fluent-bit", "alloy"):  # templates/_helpers.tpl `<chart>.selectorLabels` + `podLabels` (logmesh's)
        return [pod(chart, {"app.kubernetes.io/name": chart, "app.kubernetes.io/instance": name, **pod_labels})]
    if chart == "fluentd":  # fluentd 0.6.0 `fluentd.selectorLabels` + `podLabels`; metrics 24231 and service.ports
        ports = ((24231, "TCP", "metrics"), *((int(p["containerPort"]), p["protocol"], p["name"]) for p in values["service"]["ports"]))
        return [pod("fluentd", {"app.kubernetes.io/name": "fluentd", "app.kubernetes.io/instance": name, **pod_labels}, ports)]
    if chart == "eck-operator":
        # eck-operator 3.5.0 templates/statefulset.yaml:33-41 labels the pod with `eck-operator.labels`, which is
        # `eck-operator.selectorLabels` (templates/_helpers.tpl:50-53) plus version, chart and managed-by; the
        # `control-plane: elastic-operator` label appears only with `global.manifestGen` (_helpers.tpl:59-66).
        labels = {
            "app.kubernetes.io/name": "elastic-operator",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/version": "3.5.0",
            "helm.sh/chart": "eck-operator-3.5.0",
            "app.kubernetes.io/managed-by": "Helm",
        }
        return [pod("elastic-operator", labels, ((9443, "TCP", "https-webhook"),))]
    if chart == "jaeger":
        # jaeger 4.11.1 templates/jaeger/jaeger-deploy.yaml: `jaeger.selectorLabels` (templates/_helpers.tpl: name and
        # instance) plus `app.kubernetes.io/component: all-in-one`; the receivers, query and health container ports.
        labels = {"app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": name, "app.kubernetes.io/component": "all-in-one"}
        ports = (
            (4317, "TCP", "otlp-grpc"),
            (4318, "TCP", "otlp-http"),
            (9411, "TCP", "zipkin"),
            (16686, "TCP", "query"),
            (13133, "TCP", "health"),
        )
        return [pod("jaeger", labels, ports)]
    raise AssertionError(f"no pod description for chart {chart}")


def described_pods(recording: Recording) -> list[Pod]:
    return [p for r in recording.of_type("kubernetes:helm.sh/v3:Release") for p in chart_pods(r)]


CASES = [(stack, backend) for stack in STACKS for backend in ("loki", "elk") if backend == "elk" or stack in LOKI_STACKS]


def recording_of(stack: str, backend: str) -> Recording:
    return example_recording(stack) if backend == "loki" else elk_recording(stack)


@pytest.mark.parametrize(("stack", "backend"), CASES)
def test_every_needed_flow_is_allowed_and_nothing_else_reaches_the_backends(stack: str, backend: str) -> None:
    recording = recording_of(stack, backend)
    verdicts, unexpected = matrix(recording, described_pods(recording))
    kinds = {v.flow.what for v in verdicts}
    needed = {"collector to ingest", "DNS", "object storage"} | (
        {"Grafana to Loki gateway"}
        if backend == "loki"
        else {"ECK operator to Elasticsearch", "ECK operator to Kibana", "Kibana to Elasticsearch", "setup Job to Kibana"}
    )
    if backend == "loki" and stack == "prod":
        needed.add("ruler to Alertmanager")  # only prod configures logmesh:alerting
    if stack in ("staging", "staging-elk"):  # a Fluentd tier on aws-main, a Logstash one on aws-elk
        needed |= {"collector to tier ingest", "tier to backend ingest"}
    # Every example traces (logmesh:tracing): meshed pods send spans, Grafana queries Jaeger, Jaeger writes to ES.
    needed |= {"mesh to Jaeger receiver"} | ({"Grafana to Jaeger query"} if backend == "loki" else {"Jaeger to Elasticsearch"})
    assert needed <= kinds
    denied = [(v.flow.what, v.flow.source, v.flow.destination, v.flow.port) for v in verdicts if not v.allowed]
    assert denied == []
    assert [(f.source, f.destination, f.port) for f in unexpected] == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_operator_reaches_elasticsearch_and_kibana_by_its_chart_labels(stack: str) -> None:
    """The selector the policies used before (`control-plane: elastic-operator`) matches no pod the chart creates."""
    recording = elk_recording(stack)
    verdicts, _ = matrix(recording, described_pods(recording))
    operator = [v for v in verdicts if v.flow.what.startswith("ECK operator to")]
    assert {(v.flow.what, v.flow.port) for v in operator} == {("ECK operator to Elasticsearch", 9200), ("ECK operator to Kibana", 5601)}
    assert all(v.allowed for v in operator)
    network = network_of(recording, described_pods(recording))
    old = [v for v in operator]
    manifest_gen_only = Pod(old[0].flow.source.cluster, "elastic-system", "other", {"control-plane": "elastic-operator"})  # type: ignore[union-attr]
    assert not network.allows(type(old[0].flow)("probe", manifest_gen_only, old[0].flow.destination, old[0].flow.port))


def test_a_pod_in_another_namespace_is_denied_and_a_policy_change_shows() -> None:
    """The matrix follows the policies: a stranger pod is denied; with the gateway's ingress policy gone, Grafana is denied too."""
    recording = example_recording("dev")
    pods = described_pods(recording)
    verdicts, _ = matrix(recording, pods)
    grafana = next(v.flow for v in verdicts if v.flow.what == "Grafana to Loki gateway")
    network = network_of(recording, pods)
    stranger = Pod(grafana.source.cluster, "default", "stranger", {"app.kubernetes.io/name": "grafana"})  # type: ignore[union-attr]
    assert network.allows(grafana)
    assert not network.allows(type(grafana)("probe", stranger, grafana.destination, grafana.port))
    network.policies = [p for p in network.policies if not p.name.endswith("grafana-to-loki-gateway")]
    assert not network.allows(grafana)


def test_the_markdown_report_shows_the_matrix() -> None:
    from preflight.report.charts import matrix_markdown

    lines = matrix_markdown(elk_recording("dev"))
    assert lines[:2] == ["### Network paths", ""]
    assert "| cluster | flow | from | to | port | verdict |" in lines
    assert any(
        line.startswith("| dev-eks-k8s | Kibana to Elasticsearch | logging/logmesh-kb | logging/logmesh-es | 9200/TCP | allowed |")
        for line in lines
    )
