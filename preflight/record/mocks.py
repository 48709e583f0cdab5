"""Realistic outputs for resources registered under the Pulumi SDK's mocks.

Each resource gets the outputs its provider would return (ids, ARNs, emails, self links, metadata), built
from its inputs and from the region, account or project of the explicit provider it uses, so that
cross-references in the program (a key ARN in a bucket policy, a role ARN in an annotation) resolve to
values a reviewer recognises.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pulumi

DEFAULT_AWS_ACCOUNT = "123456789012"
DEFAULT_AWS_REGION = "us-east-1"
DEFAULT_GCP_PROJECT = "mock-project"
DEFAULT_GCP_REGION = "us-central1"

# ARN service and resource-type words for the aws resources whose ARN is not `service:region:account:kind/id`.
_GLOBAL_AWS_SERVICES = {"iam", "s3", "cloudfront", "route53"}


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _lower_first(word: str) -> str:
    return word[:1].lower() + word[1:]


class RealisticMocks(pulumi.runtime.Mocks):
    """Mocks that answer like the providers would. With `preview=True` computed outputs stay unknown."""

    def __init__(self, preview: bool = False) -> None:
        self.preview = preview
        # provider reference ("urn::id") -> its inputs, so resources inherit region/account/project.
        self.providers: dict[str, dict[str, Any]] = {}

    # The SDK's MockMonitor.Invoke iterates the failures list, so "no failures" must be [] (None crashes it).
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        account, region = self._aws_scope(args.provider, args.args)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/preflight", "userId": "AIDAPREFLIGHT"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId") or DEFAULT_GCP_PROJECT
            return {"projectId": project, "number": str(int(_hex(project, 8), 16))[:12], "name": project}, []
        if args.token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
            project = args.args.get("project") or DEFAULT_GCP_PROJECT
            number = str(int(_hex(project, 8), 16))[:12]
            return {"emailAddress": f"service-{number}@gs-project-accounts.iam.gserviceaccount.com", "project": project}, []
        return {}, []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            ref_id = _stable_id("provider", args.typ, args.name)
            # The SDK builds the reference as "<urn>::<id>"; remember by id, the part we can rebuild.
            self.providers[ref_id] = inputs
            return ref_id, inputs
        package = args.typ.split(":", 1)[0]
        if package == "aws":
            resource_id, outputs = self._aws(args, inputs)
        elif package == "gcp":
            resource_id, outputs = self._gcp(args, inputs)
        elif package == "kubernetes":
            resource_id, outputs = self._kubernetes(args, inputs)
        elif package == "random":
            resource_id, outputs = self._random(args, inputs)
        elif package == "tls":
            resource_id, outputs = self._tls(args, inputs)
        else:
            resource_id, outputs = _stable_id(args.typ, args.name), {}
        if self.preview:
            # A preview knows inputs only; the SDK marks every missing output as unknown.
            return None, inputs
        return resource_id, {**inputs, **outputs}

    # --- scopes --------------------------------------------------------------------------------

    def _provider_inputs(self, provider_ref: str | None) -> dict[str, Any]:
        if not provider_ref:
            return {}
        return self.providers.get(provider_ref.rsplit("::", 1)[-1], {})

    def _aws_scope(self, provider_ref: str | None, inputs: dict[str, Any]) -> tuple[str, str]:
        provider = self._provider_inputs(provider_ref)
        accounts = provider.get("allowedAccountIds") or [DEFAULT_AWS_ACCOUNT]
        if isinstance(accounts, str):
            # Provider inputs that are not strings reach the mocks JSON-encoded.
            accounts = json.loads(accounts)
        region = inputs.get("region") or provider.get("region") or DEFAULT_AWS_REGION
        return str(accounts[0]), str(region)

    def _gcp_scope(self, provider_ref: str | None, inputs: dict[str, Any]) -> tuple[str, str]:
        provider = self._provider_inputs(provider_ref)
        project = inputs.get("project") or provider.get("project") or DEFAULT_GCP_PROJECT
        region = inputs.get("location") or inputs.get("region") or provider.get("region") or DEFAULT_GCP_REGION
        return str(project), str(region).lower()

    # --- per package -----------------------------------------------------------------------------

    def _aws(self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        account, region = self._aws_scope(args.provider, inputs)
        module, kind = args.typ.split(":")[1].split("/")[0], args.typ.rsplit(":", 1)[-1]
        name = inputs.get("name") or inputs.get("bucket") or args.name
        outputs: dict[str, Any] = {"region": region} if "region" not in inputs else {}
        if module == "s3" and kind in ("Bucket", "BucketV2"):
            outputs.update(
                bucket=name,
                arn=f"arn:aws:s3:::{name}",
                bucketDomainName=f"{name}.s3.amazonaws.com",
                bucketRegionalDomainName=f"{name}.s3.{region}.amazonaws.com",
                hostedZoneId="Z3AQBSTGFYJSTF",
            )
            return name, outputs
        if module == "s3":
            bucket = inputs.get("bucket", name)
            return str(bucket), outputs
        if module == "kms" and kind == "Key":
            key_id = _stable_id("kms", args.name)
            outputs.update(keyId=key_id, arn=f"arn:aws:kms:{region}:{account}:key/{key_id}")
            return key_id, outputs
        if module == "kms" and kind == "Alias":
            outputs.update(
                arn=f"arn:aws:kms:{region}:{account}:{name}",
                targetKeyArn=f"arn:aws:kms:{region}:{account}:key/{inputs.get('targetKeyId', '')}",
            )
            return str(name), outputs
        if module == "iam":
            word = {"Role": "role", "Policy": "policy", "User": "user", "OpenIdConnectProvider": "oidc-provider"}.get(kind)
            if word is not None:
                outputs.update(arn=f"arn:aws:iam::{account}:{word}/{name}", uniqueId=f"AROA{_hex(args.name, 16).upper()}")
                if kind == "Role":
                    outputs["name"] = name
                return str(name), outputs
            return f"{name}-{_hex(args.name, 8)}", outputs
        if module == "cloudtrail":
            outputs.update(arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{name}", homeRegion=region)
            return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}", outputs
        resource_id = f"{_lower_first(kind)}-{_hex(args.name, 12)}"
        scope = "" if module in _GLOBAL_AWS_SERVICES else region
        outputs["arn"] = f"arn:aws:{module}:{scope}:{account}:{_lower_first(kind)}/{resource_id}"
        return resource_id, outputs

    def _gcp(self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        project, location = self._gcp_scope(args.provider, inputs)
        module, kind = args.typ.split(":")[1].split("/")[0], args.typ.rsplit(":", 1)[-1]
        name = str(inputs.get("name") or args.name)
        outputs: dict[str, Any] = {"project": project} if "project" not in inputs else {}
        if module == "storage" and kind == "Bucket":
            outputs.update(
                name=name,
                url=f"gs://{name}",
                selfLink=f"https://www.googleapis.com/storage/v1/b/{name}",
                projectNumber=str(int(_hex(project, 8), 16))[:12],
            )
            return name, outputs
        if module == "kms" and kind == "KeyRing":
            ring_id = f"projects/{project}/locations/{location}/keyRings/{name}"
            outputs["name"] = name
            return ring_id, outputs
        if module == "kms" and kind == "CryptoKey":
            key_id = f"{inputs.get('keyRing', f'projects/{project}/locations/{location}/keyRings/ring')}/cryptoKeys/{name}"
            outputs["name"] = name
            return key_id, outputs
        if module == "serviceaccount" and kind == "Account":
            account_id = str(inputs.get("accountId", name))
            email = f"{account_id}@{project}.iam.gserviceaccount.com"
            outputs.update(
                email=email,
                name=f"projects/{project}/serviceAccounts/{email}",
                member=f"serviceAccount:{email}",
                uniqueId=str(int(_hex(email, 10), 16)),
            )
            return f"projects/{project}/serviceAccounts/{email}", outputs
        outputs.setdefault("name", name)
        outputs["selfLink"] = f"https://www.googleapis.com/{module}/v1/projects/{project}/{_lower_first(kind)}s/{name}"
        outputs["etag"] = _hex(args.name, 12)
        return f"projects/{project}/{_lower_first(kind)}s/{name}", outputs

    def _kubernetes(self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        metadata = dict(inputs.get("metadata") or {})
        name = metadata.get("name") or f"{args.name}-{_hex(args.name, 8)}"
        namespace = metadata.get("namespace")
        metadata.update(name=name, uid=_stable_id("k8s", args.typ, args.name), resourceVersion="1", generation=1)
        if namespace is None and not args.typ.startswith(
            ("kubernetes:core/v1:Namespace", "kubernetes:rbac.authorization.k8s.io/v1:Cluster")
        ):
            metadata["namespace"] = "default"
        outputs: dict[str, Any] = {"metadata": metadata}
        if args.typ == "kubernetes:helm.sh/v3:Release":
            release = str(inputs.get("name") or name)
            ns = str(inputs.get("namespace") or "default")
            outputs["status"] = {"name": release, "namespace": ns, "status": "deployed", "revision": 1, "chart": inputs.get("chart")}
            return f"{ns}/{release}", outputs
        return f"{metadata.get('namespace', '')}/{name}".lstrip("/"), outputs

    def _random(self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        length = int(inputs.get("length") or 32)
        value = _hex("random/" + args.name, 64)
        while len(value) < length:
            value += _hex(value, 64)
        result = value[:length]
        # Shaped like the provider's bcrypt hash (cost 10), derived from the result so tests can tell them apart.
        bcrypt_hash = "$2a$10$" + _hex("bcrypt/" + result, 53)
        return _stable_id("random", args.name), {"result": result, "bcryptHash": bcrypt_hash}

    def _tls(self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # PEM-framed stand-ins, distinct per resource: real keys and certificates are not needed under mocks.
        kind = args.typ.rsplit(":", 1)[-1]
        body = _hex(f"tls/{args.typ}/{args.name}", 64)

        def pem(label: str) -> str:
            return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"

        if kind == "PrivateKey":
            return _stable_id("tls", args.name), {"privateKeyPem": pem("PRIVATE KEY"), "publicKeyPem": pem("PUBLIC KEY")}
        if kind == "CertRequest":
            return _stable_id("tls", args.name), {"certRequestPem": pem("CERTIFICATE REQUEST")}
        return str(int(body[:16], 16)), {"certPem": pem("CERTIFICATE"), "readyForRenewal": False}
