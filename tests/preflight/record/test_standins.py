"""standins and sdk_types: SDK introspection, value shapes and the paths reported as stood in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from preflight.record import sdk_types
from preflight.record.mocks import provider_defaults
from preflight.record.sdk_types import ListOf, Obj, Scalar, invoke_schema, resource_schema
from preflight.record.standins import Scope, invoke_standin, resource_standins

ROOT = Path(__file__).resolve().parents[3]
SCOPE = provider_defaults({})


def invoke(token: str, args: dict[str, Any], scope: Scope = SCOPE) -> dict[str, Any]:
    answer = invoke_standin(token, args, scope)
    assert answer is not None, token
    return answer[0]


def test_token_to_sdk_function_and_class() -> None:
    import pulumi_aws
    import pulumi_gcp

    assert sdk_types.invoke_function("aws:ec2/getAmi:getAmi") is pulumi_aws.ec2.get_ami
    assert sdk_types.invoke_function("aws:index/getAvailabilityZones:getAvailabilityZones") is pulumi_aws.get_availability_zones
    assert sdk_types.invoke_function("gcp:organizations/getIAMPolicy:getIAMPolicy") is pulumi_gcp.organizations.get_iam_policy
    assert sdk_types.resource_class("aws:eks/cluster:Cluster") is pulumi_aws.eks.Cluster
    assert sdk_types.resource_class("gcp:container/cluster:Cluster") is pulumi_gcp.container.Cluster
    assert sdk_types.resource_class("kubernetes:apps/v1:Deployment").__name__ == "Deployment"  # type: ignore[union-attr]
    assert sdk_types.invoke_function("nosuchpkg:x/getY:getY") is None
    assert sdk_types.invoke_function("not-a-token") is None


def test_a_lookup_before_the_sdk_package_is_loaded_leaves_the_package_whole() -> None:
    """The SDKs load each package lazily (pulumi._utils.lazy_import). Looking a type up in a process where nothing has
    loaded its package yet (a fresh process here; in the suite, whatever ran before) must leave the package as the
    program finds it: importing pulumi_aws.eks.cluster under the still-lazy pulumi_aws.eks ran the package's
    `__init__` while cluster.py was half imported, and `pulumi_aws.eks.Cluster` was missing for the rest of the
    process (the eks-helm and gke-helm corpus programs failed when run after this file)."""
    code = (
        "import pulumi_aws, pulumi_gcp\n"
        "from preflight.record import sdk_types\n"
        "assert sdk_types.resource_class('aws:eks/cluster:Cluster') is pulumi_aws.eks.Cluster\n"
        "assert sdk_types.resource_class('gcp:container/cluster:Cluster') is pulumi_gcp.container.Cluster\n"
        "assert sdk_types.invoke_function('aws:rds/getCluster:getCluster') is pulumi_aws.rds.get_cluster\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_schema_reads_wire_names_nested_types_and_optional() -> None:
    schema = invoke_schema("aws:ec2/getAmi:getAmi")
    assert schema is not None
    fields = {f.wire: f for f in schema.fields}
    assert {"id", "imageId", "blockDeviceMappings", "mostRecent", "owners"} <= set(fields)
    mappings = fields["blockDeviceMappings"].node
    assert isinstance(mappings, ListOf) and isinstance(mappings.item, Obj)
    assert "deviceName" in {f.wire for f in mappings.item.fields}
    assert fields["mostRecent"].node == Scalar("bool")
    resource = resource_schema("aws:eks/cluster:Cluster")
    assert resource is not None
    by_wire = {f.wire: f for f in resource.outputs.fields}
    assert by_wire["encryptionConfig"].optional and not by_wire["endpoint"].optional
    assert "endpoint" not in resource.inputs and "roleArn" in resource.inputs


def test_depth_bound() -> None:
    def depth(node: object) -> int:
        if isinstance(node, Obj):
            return 1 + max((depth(f.node) for f in node.fields), default=0)
        if isinstance(node, ListOf):
            return depth(node.item)
        return 0

    schema = resource_schema("gcp:container/cluster:Cluster")
    assert schema is not None
    assert depth(schema.outputs) <= sdk_types.MAX_DEPTH


def test_invoke_values_are_typed_deterministic_recognisable_and_recorded() -> None:
    answer = invoke_standin("aws:ec2/getAmi:getAmi", {"owners": ["amazon"]}, SCOPE)
    assert answer is not None
    first, paths = answer
    assert answer == invoke_standin("aws:ec2/getAmi:getAmi", {"owners": ["amazon"]}, SCOPE)
    assert first["owners"] == ["amazon"]
    assert first["id"].startswith("ami-") and len(first["id"]) == 21
    assert first["arn"].startswith("arn:aws:ec2:us-east-1:123456789012:")
    assert first["architecture"] == "standin-architecture"
    assert isinstance(first["enaSupport"], bool) and isinstance(first["blockDeviceMappings"], list)
    assert len(first["blockDeviceMappings"]) == 1 and first["blockDeviceMappings"][0]["ebs"] == {}
    assert "blockDeviceMappings[0].deviceName" in paths and "owners[0]" not in paths


def test_scope_shapes_region_account_project() -> None:
    scope = Scope(aws_account="210987654321", aws_region="eu-west-1", gcp_project="p1", gcp_region="europe-west4")
    zones = invoke("aws:index/getAvailabilityZones:getAvailabilityZones", {}, scope)
    assert zones["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    versions = invoke("gcp:container/getEngineVersions:getEngineVersions", {}, scope)
    assert versions["project"] == "p1" and versions["location"] == "europe-west4"
    eks = invoke("aws:eks/getCluster:getCluster", {"name": "prod"}, scope)
    assert eks["name"] == "prod" and ".eu-west-1.eks.amazonaws.com" in eks["endpoint"]
    assert eks["arn"].startswith("arn:aws:eks:eu-west-1:210987654321:")


def test_unknown_invoke() -> None:
    assert invoke_standin("aws:nosuch/getThing:getThing", {"a": 1}, SCOPE) is None


def test_resource_standins_never_replace_known_values_or_invent_optional_config() -> None:
    known = {"name": "prod", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/prod", "tags": {"team": "logs"}}
    added, paths = resource_standins("aws:eks/cluster:Cluster", "prod", known, known, SCOPE)
    assert "endpoint" in paths and "arn" not in paths
    assert "arn" not in added and "name" not in added
    assert added["tagsAll"] == {"team": "logs"}
    assert not {"encryptionConfig", "accessConfig", "kubernetesNetworkConfig", "enabledClusterLogTypes"} & set(added)
    gke, _ = resource_standins("gcp:container/cluster:Cluster", "gke", {}, {}, SCOPE)
    assert set(gke["masterAuth"]) <= {"clusterCaCertificate", "clientCertificate"}
    assert not {"masterAuthorizedNetworksConfig", "privateClusterConfig", "networkPolicy", "addonsConfig"} & set(gke)


def test_resource_standins_complete_a_given_input_object() -> None:
    given = {"masterAuth": {"clientCertificateConfig": {"issueClientCertificate": False}}}
    added, _ = resource_standins("gcp:container/cluster:Cluster", "gke", given, given, SCOPE)
    assert added["masterAuth"]["clientCertificateConfig"] == {"issueClientCertificate": False}
    assert "clusterCaCertificate" in added["masterAuth"]


def test_kubernetes_inputs_are_read_from_the_init_args_class() -> None:
    # pulumi_kubernetes names a resource's args `<Kind>InitArgs`: its inputs must never be invented.
    schema = resource_schema("kubernetes:core/v1:ConfigMap")
    assert schema is not None and {"data", "binaryData", "immutable", "metadata"} <= schema.inputs
    added, _ = resource_standins("kubernetes:core/v1:ConfigMap", "cm", {"data": {"a": "b"}}, {"data": {"a": "b"}}, SCOPE)
    assert not {"binaryData", "immutable"} & set(added)


def test_no_list_element_is_invented_inside_an_input_object() -> None:
    metadata = {"name": "np", "namespace": "logging"}
    known = {"metadata": metadata, "spec": {"podSelector": {}}}
    added, paths = resource_standins("kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", known, known, SCOPE)
    assert "metadata" not in added and not [p for p in paths if "[" in p]
