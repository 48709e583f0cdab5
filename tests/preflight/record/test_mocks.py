"""Programs that call provider functions (invokes) run under preflight's mocks with realistic answers."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from preflight.analyze.config import resolve_config
from preflight.analyze.pack import load_policy_pack
from preflight.analyze.servicer import Analyzer
from preflight.errors import InputError
from preflight.record.program import record_program
from preflight.record.recording import Recording, Registration
from preflight.record.stack_references import load_stack_reference
from preflight.report.topology import build_topology, mermaid
from preflight.secrets import SECRET_SIG, SIG_KEY, secret
from tests.preflight.conftest import REAL_PACK

PROGRAM = """
import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

provider = aws.Provider("scoped", region="eu-west-1", allowed_account_ids=["210987654321"])
identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=provider))
agent = gcp.storage.get_project_service_account(project="acme-logs")
pulumi.export("account", identity.account_id)
pulumi.export("agent", agent.email_address)
"""


def test_invokes_answer_from_the_provider_scope(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    recording = record_program(tmp_path, "invokes", "dev", {})
    assert recording.stack_outputs["account"] == "210987654321"
    agent = recording.stack_outputs["agent"]
    assert agent.startswith("service-") and agent.endswith("@gs-project-accounts.iam.gserviceaccount.com")


def record(tmp_path: Path, source: str, config: dict[str, Any] | None = None, **kwargs: Any) -> Recording:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "__main__.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return record_program(tmp_path, "invokes", "dev", config or {}, **kwargs)


def one(recording: Recording, type_: str) -> Registration:
    found = recording.of_type(type_)
    assert len(found) == 1, [r.type for r in recording.resources]
    return found[0]


def stood_in(recording: Recording, kind: str) -> dict[str, str]:
    return {s.subject: s.detail for s in recording.stand_ins if s.kind == kind}


KMS_STAR = (
    '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Sid": "Everyone",\n      "Effect": "Allow",\n'
    '      "Action": "kms:*",\n      "Resource": "*",\n      "Principal": "*"\n    }\n  ]\n}'
)
KMS_STAR_PROGRAM = """
import pulumi_aws as aws

doc = aws.iam.get_policy_document(
    statements=[{"sid": "Everyone", "actions": ["kms:*"], "resources": ["*"], "principals": [{"type": "*", "identifiers": ["*"]}]}]
)
aws.kms.Key("key", description="logs", enable_key_rotation=True, policy=doc.json)
"""


def test_kms_key_policy_from_get_policy_document_is_the_rendered_document(tmp_path: Path) -> None:
    recording = record(tmp_path, KMS_STAR_PROGRAM)
    assert one(recording, "aws:kms/key:Key").inputs["policy"] == KMS_STAR
    assert not stood_in(recording, "invoke")  # computed, not stood in


def test_the_pack_flags_the_public_key_policy_built_with_get_policy_document(tmp_path: Path) -> None:
    recording = record(tmp_path, KMS_STAR_PROGRAM)
    pack = load_policy_pack(REAL_PACK)
    violations = Analyzer(pack, resolve_config(pack, {})).analyze(recording).violations
    assert "aws-kms-key-policy-not-public" in {v.policy for v in violations if v.resource_type == "aws:kms/key:Key"}


def test_get_policy_document_output_form_with_resource_arns(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi_aws as aws

        bucket = aws.s3.BucketV2("logs", bucket="logmesh-logs")
        doc = aws.iam.get_policy_document_output(statements=[{
            "actions": ["s3:GetObject", "s3:PutObject"],
            "resources": [bucket.arn.apply(lambda a: f"{a}/*")],
            "principals": [{"type": "Service", "identifiers": ["logging.s3.amazonaws.com"]}],
        }])
        aws.s3.BucketPolicy("logs", bucket=bucket.id, policy=doc.json)
        """,
    )
    policy = json.loads(one(recording, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert policy["Statement"][0] == {
        "Effect": "Allow",
        "Action": ["s3:PutObject", "s3:GetObject"],
        "Resource": "arn:aws:s3:::logmesh-logs/*",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
    }


def test_invalid_policy_document_fails_the_program_like_the_provider(tmp_path: Path) -> None:
    source = """
    import pulumi_aws as aws
    aws.iam.get_policy_document(statements=[{"sid": "A", "actions": ["s3:*"]}, {"sid": "A", "actions": ["ec2:*"]}])
    """
    with pytest.raises(Exception, match="duplicate Sid"):
        record(tmp_path, source)


def test_gcp_iam_policy_feeds_bucket_iam_policy(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi_gcp as gcp

        bucket = gcp.storage.Bucket("logs", location="EU")
        admin = gcp.organizations.get_iam_policy(
            bindings=[{"role": "roles/storage.objectViewer", "members": ["user:b@example.com", "allUsers"]}]
        )
        gcp.storage.BucketIAMPolicy("logs", bucket=bucket.name, policy_data=admin.policy_data)
        """,
    )
    policy = one(recording, "gcp:storage/bucketIAMPolicy:BucketIAMPolicy").inputs["policyData"]
    assert policy == '{"bindings":[{"members":["allUsers","user:b@example.com"],"role":"roles/storage.objectViewer"}]}'


def test_data_source_invokes_return_typed_stand_ins_and_are_listed(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*"]}])
        zones = aws.get_availability_zones(state="available")
        zone = aws.route53.get_zone(name="example.com")
        eks = aws.eks.get_cluster(name="prod")
        assert ami.id.startswith("ami-") and ami.owners == ["amazon"] and ami.most_recent is True
        assert isinstance(ami.block_device_mappings[0].device_name, str)
        subnets = [
            aws.ec2.Subnet(f"s{i}", vpc_id="vpc-1", cidr_block=f"10.0.{i}.0/24", availability_zone=zones.names[i]) for i in range(3)
        ]
        aws.route53.Record("www", zone_id=zone.zone_id, name=f"www.{zone.name}", type="A", ttl=300, records=["192.0.2.1"])
        aws.ec2.Instance("web", ami=ami.id, instance_type="t3.micro", subnet_id=subnets[0].id)
        pulumi.export("issuer", eks.identities[0].oidcs[0].issuer)
        """,
        {"aws:region": "eu-west-1"},
    )
    zones = sorted(r.inputs["availabilityZone"] for r in recording.of_type("aws:ec2/subnet:Subnet"))
    assert zones == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    www = one(recording, "aws:route53/record:Record")
    assert www.inputs["zoneId"].startswith("Z") and www.inputs["name"] == "www.example.com"
    assert one(recording, "aws:ec2/instance:Instance").inputs["ami"].startswith("ami-")
    assert recording.stack_outputs["issuer"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    invokes = stood_in(recording, "invoke")
    assert {
        "aws:ec2/getAmi:getAmi",
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        "aws:route53/getZone:getZone",
        "aws:eks/getCluster:getCluster",
    } <= set(invokes)
    assert invokes["aws:ec2/getAmi:getAmi"].startswith("stood in: ") and "owners" not in invokes["aws:ec2/getAmi:getAmi"]


def test_unknown_invoke_is_listed_not_silent(tmp_path: Path) -> None:
    recording = record(tmp_path, 'import pulumi\npulumi.runtime.invoke("aws:nosuch/getThing:getThing", {})\n')
    assert stood_in(recording, "invoke") == {
        "aws:nosuch/getThing:getThing": "no provider SDK function for this token: answered with no fields"
    }


def _kubeconfig(name: str, endpoint: str, ca: str) -> str:
    return f"apiVersion: v1\nclusters:\n- cluster:\n    server: {endpoint}\n    certificate-authority-data: {ca}\n  name: {name}\n"


def test_eks_cluster_outputs_feed_a_kubeconfig_and_are_listed(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws

        cluster = aws.eks.Cluster("prod", role_arn="arn:aws:iam::123456789012:role/eks", vpc_config={"subnet_ids": ["subnet-1"]})
        pulumi.export("server", cluster.endpoint)
        pulumi.export("ca", cluster.certificate_authority.data)
        aws.iam.OpenIdConnectProvider(
            "oidc", url=cluster.identities[0].oidcs[0].issuer, client_id_lists=["sts.amazonaws.com"], thumbprint_lists=["0" * 40]
        )
        """,
    )
    assert recording.stack_outputs["server"].startswith("https://") and recording.stack_outputs["server"].endswith(".eks.amazonaws.com")
    assert base64.b64decode(recording.stack_outputs["ca"]).startswith(b"-----BEGIN CERTIFICATE-----")
    cluster = one(recording, "aws:eks/cluster:Cluster")
    assert "encryptionConfig" not in cluster.outputs and "accessConfig" not in cluster.outputs  # never invented
    detail = stood_in(recording, "output")[cluster.urn]
    assert detail.startswith("stood in: ") and "certificateAuthority.data" in detail and "arn" not in detail.split(", ")


def test_gke_cluster_endpoint_and_ca_are_stood_in(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi
        import pulumi_gcp as gcp

        cluster = gcp.container.Cluster("gke", location="europe-west1", initial_node_count=1)
        pulumi.export("endpoint", cluster.endpoint)
        pulumi.export("ca", cluster.master_auth.cluster_ca_certificate)
        """,
    )
    assert recording.stack_outputs["endpoint"].startswith("203.0.113.")
    cluster = one(recording, "gcp:container/cluster:Cluster")
    assert "masterAuthorizedNetworksConfig" not in cluster.outputs and "privateClusterConfig" not in cluster.outputs
    detail = stood_in(recording, "output")[cluster.urn]
    assert "endpoint" in detail.split(", ") and "masterAuth.clientCertificate" in detail  # at most 6 paths named


def test_preview_stands_in_no_outputs(tmp_path: Path) -> None:
    source = """
    import pulumi_aws as aws
    aws.eks.Cluster("prod", role_arn="arn:aws:iam::123456789012:role/eks", vpc_config={"subnet_ids": ["subnet-1"]})
    """
    assert not stood_in(record(tmp_path, source, preview=True), "output")


def test_default_providers_take_the_stack_provider_config(tmp_path: Path) -> None:
    recording = record(
        tmp_path,
        """
        import pulumi
        import pulumi_aws as aws
        import pulumi_gcp as gcp

        bucket = aws.s3.BucketV2("logs", bucket="west-logs")
        key = aws.kms.Key("key", description="logs")
        ring = gcp.kms.KeyRing("ring", location="europe-west4")
        agent = gcp.storage.get_project_service_account()
        pulumi.export("agent_project", agent.project)
        """,
        {"aws:region": "us-west-2", "aws:allowedAccountIds": ["210987654321"], "gcp:project": "acme-logs"},
    )
    bucket = one(recording, "aws:s3/bucketV2:BucketV2")
    assert bucket.outputs["region"] == "us-west-2"
    assert bucket.outputs["bucketRegionalDomainName"] == "west-logs.s3.us-west-2.amazonaws.com"
    assert one(recording, "aws:kms/key:Key").outputs["arn"].startswith("arn:aws:kms:us-west-2:210987654321:key/")
    assert one(recording, "gcp:kms/keyRing:KeyRing").outputs["project"] == "acme-logs"
    assert recording.stack_outputs["agent_project"] == "acme-logs"
    assert "aws us-west-2" in mermaid(build_topology(recording))


STACK_REFERENCE_PROGRAM = """
import pulumi
import pulumi_aws as aws

network = pulumi.StackReference("acme/network/prod")
aws.ec2.SecurityGroup("web", vpc_id=network.require_output("vpcId"), tags={"token": network.get_output("token")})
pulumi.export("subnets", network.get_output("privateSubnetIds"))
"""


def test_stack_reference_outputs_are_stood_in_by_name_and_listed(tmp_path: Path) -> None:
    recording = record(tmp_path, STACK_REFERENCE_PROGRAM)
    assert one(recording, "aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == "standin-vpcId"
    assert recording.stack_outputs["subnets"] == ["standin-privateSubnetIds-0", "standin-privateSubnetIds-1"]
    assert stood_in(recording, "stack-reference") == {
        "acme/network/prod": "no --stack-reference file; stood in: privateSubnetIds, token, vpcId"
    }


def test_stack_reference_outputs_come_from_a_file(tmp_path: Path) -> None:
    outputs = tmp_path / "network.json"
    outputs.write_text(json.dumps({"vpcId": "vpc-0abc", "privateSubnetIds": ["subnet-1"]}), encoding="utf-8")
    name, given = load_stack_reference(f"acme/network/prod={outputs}")
    recording = record(tmp_path / "program", STACK_REFERENCE_PROGRAM, stack_references={name: given})
    assert one(recording, "aws:ec2/securityGroup:SecurityGroup").inputs["vpcId"] == "vpc-0abc"
    assert recording.stack_outputs["subnets"] == ["subnet-1"]
    assert one(recording, "aws:ec2/securityGroup:SecurityGroup").inputs["tags"] == {"token": None}  # not in the file
    assert not stood_in(recording, "stack-reference")


def test_stack_reference_outputs_from_a_stack_export_keep_secrets_secret(tmp_path: Path) -> None:
    export = {
        "version": 3,
        "deployment": {
            "resources": [
                {"urn": "urn:pulumi:prod::network::pulumi:pulumi:Stack::network-prod", "type": "pulumi:pulumi:Stack",
                 "outputs": {"vpcId": "vpc-0abc", "token": {SIG_KEY: SECRET_SIG, "plaintext": '"tok-1"'},
                             "privateSubnetIds": {SIG_KEY: SECRET_SIG, "ciphertext": "AAAA"}}}
            ]
        },
    }  # fmt: skip
    (tmp_path / "export.json").write_text(json.dumps(export), encoding="utf-8")
    name, given = load_stack_reference(f"acme/network/prod={tmp_path / 'export.json'}")
    assert given.outputs["token"] == "tok-1" and given.secret_names == ["privateSubnetIds", "token"]
    recording = record(tmp_path / "program", STACK_REFERENCE_PROGRAM, stack_references={name: given})
    assert one(recording, "aws:ec2/securityGroup:SecurityGroup").inputs["tags"]["token"] == secret("tok-1")
    assert stood_in(recording, "stack-reference")["acme/network/prod"].endswith("stood in: privateSubnetIds")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b"[1]", "holds a JSON list"),
        (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
    ],
)
def test_a_bad_stack_reference_file_names_the_flag(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=f"--stack-reference acme/net={path}: .*{problem}"):
        load_stack_reference(f"acme/net={path}")
    with pytest.raises(InputError, match="expected NAME=FILE"):
        load_stack_reference("acme/net")


def test_a_relative_program_path_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The program runs with its own folder as the working directory: a relative path must still name it.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__main__.py").write_text('import pulumi_aws as aws\naws.kms.Key("k")\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert [r.name for r in record_program(Path("app"), "rel", "dev", {}).resources] == ["k"]
