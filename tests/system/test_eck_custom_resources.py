"""logmesh's ECK custom resources validated against ECK's own CRDs, when the chart cache holds eck-operator (`make charts`).

kubernetes-validate has no CRD schemas, so the Elasticsearch, Kibana, Beat and Logstash objects the program creates
are checked here against the CRDs of the pinned eck-operator chart (its `eck-operator-crds` subchart), rendered from
the cached archive with preflight's own engine exactly as the stack's eck-operator Release would apply them. Each ECK
object of every example stack (the Loki ones switched to ELK) must match a served CRD version and validate as the
API server would (tests/helpers/crd_schema.py: unknown fields, types, enums, patterns). The CRDs leave `podTemplate`
unvalidated (x-kubernetes-preserve-unknown-fields) and ECK reads it as a core/v1 PodTemplateSpec, dropping what it
does not know without a word, so each pod template is also validated as one (kubernetes-validate, strict, 1.33),
and a container in it without an image must be the one ECK completes (its main container). Skipped without a cache:
the suite never downloads.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import kubernetes_validate
import pytest

from components.aggregation.logstash import logstash_spec
from components.aggregation.sizing import aggregation_sizing
from components.backends.base import internal_load_balancer
from components.names import ELASTICSEARCH_COLLECTOR_SECRET
from components.pins import ECK_OPERATOR_CHART
from policies.lib.types import BEAT, ES, KIBANA, LOGSTASH
from preflight.record.chart_cache import CACHE_FOLDER
from preflight.record.charts import RELEASE_TYPE, archive_name, render_release
from preflight.record.recording import NotRendered
from tests.helpers.crd_schema import crd_versions, preserved, validation_errors
from tests.helpers.harness import ROOT, STACKS, elk_recording
from tests.helpers.support import manifest, needs_chart_cache, plain

CACHE = ROOT / CACHE_FOLDER
ARCHIVE = archive_name(ECK_OPERATOR_CHART.name, ECK_OPERATOR_CHART.version)
pytestmark = needs_chart_cache((CACHE / ARCHIVE).is_file(), f"no {ARCHIVE} in {CACHE}: run `make charts`")
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
ECK_TYPES = (ES, KIBANA, BEAT, LOGSTASH)
Crds = dict[tuple[str, str], dict[str, Any]]
# The container ECK fills in (image, command, its volumes) in each kind's pod template (ECK's NewPodTemplateBuilder);
# any other container is a sidecar that must be complete. A Beat's is named after its type.
MAIN_CONTAINER = {"Elasticsearch": "elasticsearch", "Kibana": "kibana", "Logstash": "logstash"}


@pytest.fixture(scope="module")
def crds() -> Crds:
    """(apiVersion, kind) -> the CRD version (name, served, storage, schema, ...) of every version eck-operator defines."""
    release = next(r for r in elk_recording("staging-elk").of_type(RELEASE_TYPE) if r.inputs["chart"] == ECK_OPERATOR_CHART.name)
    assert release.inputs["version"] == ECK_OPERATOR_CHART.version
    rendered = render_release(release, CACHE)
    assert not isinstance(rendered, NotRendered), rendered
    found: Crds = {}
    for r in rendered:
        if r.type == CRD_TYPE:
            found |= crd_versions(plain(r.inputs))
    return found


def problems(obj: dict[str, Any], crds: Crds) -> list[str]:
    """What the API server (and ECK, for pod templates) would reject in `obj`, one line each."""
    version = crds.get((obj["apiVersion"], obj["kind"]))
    if version is None or not version.get("served"):
        return [f"{obj['apiVersion']} {obj['kind']}: no served version of eck-operator {ECK_OPERATOR_CHART.version}'s CRDs"]
    schema = version["schema"]["openAPIV3Schema"]
    found = validation_errors(obj, schema)
    for path, template in preserved(obj, schema):
        if path.endswith("podTemplate"):
            pod_template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "check"}, "template": template}
            try:
                kubernetes_validate.validate(pod_template, "1.33", strict=True)
            except kubernetes_validate.ValidationError as exc:
                found.append(f"{path} (as a core/v1 PodTemplateSpec): {str(exc)[:300]}")
            main = MAIN_CONTAINER.get(obj["kind"]) or obj["spec"].get("type")
            found += [
                f"{path}: container {c.get('name')!r} has no image and is not ECK's main container {main!r}"
                for c in (template.get("spec") or {}).get("containers") or []
                if not c.get("image") and c.get("name") != main
            ]
    return found


def eck_objects(stack: str) -> dict[str, dict[str, Any]]:
    recording = elk_recording(stack)
    return {r.name: manifest(r) for r in recording.resources if r.type in ECK_TYPES}


# The ECK objects of each example stack (switched to ELK), by kind: every kind, and a Logstash tier in staging-elk.
EXPECTED = {
    "dev": {"Elasticsearch": 1, "Kibana": 1},
    "staging": {"Elasticsearch": 2, "Kibana": 2, "Beat": 1},
    "prod": {"Elasticsearch": 2, "Kibana": 2, "Beat": 2},
    "staging-elk": {"Elasticsearch": 2, "Kibana": 2, "Beat": 1, "Logstash": 1},
}


@pytest.mark.parametrize("stack", STACKS)
def test_every_eck_object_validates_against_the_served_storage_version_of_its_crd(stack: str, crds: Crds) -> None:
    objects = eck_objects(stack)
    assert Counter(o["kind"] for o in objects.values()) == EXPECTED[stack]
    assert {name: problems(obj, crds) for name, obj in objects.items()} == {name: [] for name in objects}
    for obj in objects.values():
        version = crds[(obj["apiVersion"], obj["kind"])]
        # The version the API server stores: no conversion, and not one ECK deprecates.
        assert version["storage"] and not version.get("deprecated"), (obj["kind"], version["name"])


def test_only_elastic_settings_and_pod_templates_escape_the_crd_schemas(crds: Crds) -> None:
    """The CRDs preserve unknown fields only where Elastic's own settings go, and in the pod templates checked above."""
    paths = set()
    for obj in eck_objects("staging-elk").values():
        paths |= {
            f"{obj['kind']} {path}" for path, _ in preserved(obj, crds[(obj["apiVersion"], obj["kind"])]["schema"]["openAPIV3Schema"])
        }
    assert paths == {
        "Elasticsearch spec.nodeSets[0].config",  # elasticsearch.yml
        "Elasticsearch spec.nodeSets[0].podTemplate",
        "Kibana spec.config",  # kibana.yml
        "Kibana spec.podTemplate",
        "Beat spec.config",  # filebeat.yml
        "Beat spec.daemonSet.podTemplate",
        "Logstash spec.pipelines[0]",  # pipelines.yml
        "Logstash spec.podTemplate",
    }


def _logstash() -> dict[str, Any]:
    """A copy of staging-elk's Logstash tier (valid: test_every_eck_object_validates_against_the_served_storage_...)."""
    [obj] = [o for o in eck_objects("staging-elk").values() if o["kind"] == "Logstash"]
    return copy.deepcopy(obj)


def _flaw(obj: dict[str, Any], flaw: str) -> dict[str, Any]:
    spec = obj["spec"]
    if flaw == "typo":
        spec["volumeClaimTemplate"] = spec.pop("volumeClaimTemplates")
    elif flaw == "wrong type":
        spec["count"] = "2"
    elif flaw == "typo in a claim":
        spec["volumeClaimTemplates"][0]["spec"]["accessMode"] = spec["volumeClaimTemplates"][0]["spec"].pop("accessModes")
    elif flaw == "typo in the pod template":
        container = spec["podTemplate"]["spec"]["containers"][0]
        container["securityContex"] = container.pop("securityContext")
    elif flaw == "renamed container":
        spec["podTemplate"]["spec"]["containers"][0]["name"] = "ls"
    elif flaw == "old version":
        obj["apiVersion"] = "logstash.k8s.elastic.co/v1beta1"
    return obj


@pytest.mark.parametrize(
    ("flaw", "error"),
    [
        ("typo", 'unknown field "spec.volumeClaimTemplate"'),
        ("wrong type", "spec.count: '2' is not of type 'integer'"),
        ("typo in a claim", 'unknown field "spec.volumeClaimTemplates[0].spec.accessMode"'),
        ("typo in the pod template", "spec.podTemplate (as a core/v1 PodTemplateSpec)"),
        ("renamed container", "spec.podTemplate: container 'ls' has no image and is not ECK's main container 'logstash'"),
        ("old version", "logstash.k8s.elastic.co/v1beta1 Logstash: no served version"),
    ],
)
def test_a_flawed_copy_of_the_logstash_tier_is_rejected(crds: Crds, flaw: str, error: str) -> None:
    found = problems(_flaw(_logstash(), flaw), crds)
    assert any(e.startswith(error) for e in found), found


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_published_logstash_tier_validates_too(crds: Crds, cloud: str) -> None:
    """No example stack publishes a Logstash tier (with `ingest_domain`): its spec then has a LoadBalancer Service
    with the cloud's internal load balancer annotations, built by the same pure function."""
    obj = _logstash()
    sizing = aggregation_sizing("prod", 500, 6)
    load_balancer = internal_load_balancer(cloud, "logstash-aws-elk.logs.acme.internal")
    obj["spec"] = logstash_spec(sizing, "LoadBalancer", load_balancer, ELASTICSEARCH_COLLECTOR_SECRET)
    assert obj["spec"]["services"][0]["service"]["metadata"]["annotations"]
    assert problems(obj, crds) == []
