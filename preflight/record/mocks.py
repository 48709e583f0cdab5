"""Realistic outputs for resources registered under the Pulumi SDK's mocks, and answers for every invoke.

Each resource gets the outputs its provider would return (ids, ARNs, emails, self links, metadata), built
from its inputs and from the region, account or project of the explicit provider it uses (or of the stack's
provider config for default providers), so that cross-references in the program (a key ARN in a bucket policy,
a role ARN in an annotation) resolve to values a reviewer recognises. Computed outputs the mocks do not know are
completed with typed stand-ins (preflight/record/standins.py).

Invokes: the policy-document data sources are computed offline (preflight/record/policy_documents.py), a few
lookups of the caller's own scope are answered from it, and every other invoke gets a typed stand-in result.
Everything invented is kept in `stand_ins` (invokes, stack references) or handed to the recording monitor per
resource (`take_output_stand_ins`), so the report can say what the verdict rests on.
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from preflight.record.policy_documents import POLICY_DOCUMENT_INVOKES, PolicyDocumentError
from preflight.record.recording import StandIn
from preflight.record.stack_references import STACK_REFERENCE_TYPE, StackOutputs, referenced_output_names, standin_output
from preflight.record.standins import Scope, invoke_standin, resource_standins
from preflight.record.terraform import plain

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


def fields(paths: list[str], limit: int = 6) -> str:
    """`a, b, c and 4 more`: the stood-in paths of one subject, short enough for a report line."""
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def provider_defaults(config: Mapping[str, Any]) -> Scope:
    """The default providers' scope from the stack's provider config (`aws:region`, `aws:allowedAccountIds`,
    `gcp:project`, `gcp:region`), as `pulumi up` would use it; the DEFAULT_* values where a key is unset."""

    def text(key: str, default: str) -> str:
        value = config.get(key)
        return value if isinstance(value, str) and value else default

    accounts = config.get("aws:allowedAccountIds")
    if isinstance(accounts, str):
        try:
            accounts = json.loads(accounts)
        except json.JSONDecodeError:
            accounts = [accounts]
    account = str(accounts[0]) if isinstance(accounts, list) and accounts and isinstance(accounts[0], (str, int)) else ""
    return Scope(
        aws_account=account or DEFAULT_AWS_ACCOUNT,
        aws_region=text("aws:region", DEFAULT_AWS_REGION),
        gcp_project=text("gcp:project", DEFAULT_GCP_PROJECT),
        gcp_region=text("gcp:region", DEFAULT_GCP_REGION),
    )


# The tokens `RealisticMocks.call` answers from the caller's own scope.
_SCOPE_INVOKES = frozenset(
    {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:index/getPartition:getPartition",
        "gcp:organizations/getProject:getProject",
        "gcp:storage/getProjectServiceAccount:getProjectServiceAccount",
    }
)


class RealisticMocks(pulumi.runtime.Mocks):
    """Mocks that answer like the providers would. With `preview=True` computed outputs stay unknown.

    `defaults` is the default providers' scope (see `provider_defaults`); `stack_references` the outputs of referenced
    stacks by name, from `--stack-reference` files; `program_dir` the folder whose code names the outputs it asks
    stack references for, stood in when no file is given (read at the first stack reference only)."""

    def __init__(
        self,
        preview: bool = False,
        defaults: Scope | None = None,
        stack_references: Mapping[str, StackOutputs] | None = None,
        program_dir: Path | None = None,
    ) -> None:
        self.preview = preview
        self.defaults = defaults or provider_defaults({})
        self.stack_references = dict(stack_references or {})
        self.program_dir = program_dir
        self._referenced_outputs: list[str] | None = None
        # provider reference ("urn::id") -> its inputs, so resources inherit region/account/project.
        self.providers: dict[str, dict[str, Any]] = {}
        self.stand_ins: list[StandIn] = []
        self._lock = threading.Lock()
        # The SDK registers resources from worker threads; each thread's last resource's stood-in output paths.
        self._outputs = threading.local()

    def _stood_in(self, entry: StandIn) -> None:
        with self._lock:
            self.stand_ins.append(entry)

    def take_output_stand_ins(self) -> list[str]:
        """The output paths stood in for the resource this thread registered last (the recording monitor files
        them under the resource's URN)."""
        paths: list[str] = getattr(self._outputs, "paths", [])
        self._outputs.paths = []
        return paths

    def _scope(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> Scope:
        account, aws_region = self._aws_scope(provider_ref, inputs)
        project, gcp_region = self._gcp_scope(provider_ref, inputs)
        return Scope(aws_account=account, aws_region=aws_region, gcp_project=project, gcp_region=gcp_region)

    # The SDK's MockMonitor.Invoke iterates the failures list, so "no failures" must be [] (None crashes it).
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        compute = POLICY_DOCUMENT_INVOKES.get(args.token)
        if compute is not None:
            try:
                return compute(args.args), []
            except PolicyDocumentError as exc:
                # The provider fails the invoke (duplicate Sid, invalid source JSON): so does the program.
                return {}, [(exc.prop, str(exc))]
        if args.token in _SCOPE_INVOKES:
            return self._scope_invoke(args), []
        wire_args = plain(dict(args.args))
        answer = invoke_standin(args.token, wire_args, self._scope(args.provider, wire_args))
        if answer is None:
            self._stood_in(StandIn("invoke", args.token, "no provider SDK function for this token: answered with no fields"))
            return {}, []
        result, paths = answer
        if paths:
            self._stood_in(StandIn("invoke", args.token, "stood in: " + fields(paths)))
        return result, []

    def _scope_invoke(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        account, region = self._aws_scope(args.provider, args.args)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/preflight", "userId": "AIDAPREFLIGHT"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
        project, _ = self._gcp_scope(args.provider, {"project": args.args.get("projectId") or args.args.get("project")})
        number = str(int(_hex(project, 8), 16))[:12]
        if args.token == "gcp:organizations/getProject:getProject":
            return {"projectId": project, "number": number, "name": project}
        return {"emailAddress": f"service-{number}@gs-project-accounts.iam.gserviceaccount.com", "project": project}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        self._outputs.paths = []
        if args.typ.startswith("pulumi:providers:"):
            ref_id = _stable_id("provider", args.typ, args.name)
            # The SDK builds the reference as "<urn>::<id>"; remember by id, the part we can rebuild.
            self.providers[ref_id] = inputs
            return ref_id, inputs
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(inputs)
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
        known = {**inputs, **outputs}
        added, paths = resource_standins(args.typ, args.name, inputs, known, self._scope(args.provider, inputs))
        self._outputs.paths = paths
        return resource_id, {**known, **added}

    def _output_names(self) -> list[str]:
        with self._lock:
            if self._referenced_outputs is None:
                self._referenced_outputs = referenced_output_names(self.program_dir) if self.program_dir else []
            return self._referenced_outputs

    def _stack_reference(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = str(inputs.get("name") or "")
        given = self.stack_references.get(name)
        if given is not None:
            if given.stood_in:
                self._stood_in(StandIn("stack-reference", name, f"encrypted in {given.source}, stood in: {fields(given.stood_in)}"))
            outputs, secret_names = given.outputs, given.secret_names
        else:
            names = self._output_names()
            outputs, secret_names = {key: standin_output(key) for key in names}, []
            files = f" (files were given for: {', '.join(sorted(self.stack_references))})" if self.stack_references else ""
            asked = "stood in: " + fields(names) if outputs else "no output names found in the program's code"
            self._stood_in(StandIn("stack-reference", name, f"no --stack-reference file{files}; {asked}"))
        return name, {"name": name, "outputs": outputs, "secretOutputNames": secret_names}

    # --- scopes --------------------------------------------------------------------------------

    def _provider_inputs(self, provider_ref: str | None) -> dict[str, Any]:
        if not provider_ref:
            return {}
        return self.providers.get(provider_ref.rsplit("::", 1)[-1], {})

    def _aws_scope(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> tuple[str, str]:
        provider = self._provider_inputs(provider_ref)
        accounts = provider.get("allowedAccountIds") or [self.defaults.aws_account]
        if isinstance(accounts, str):
            # Provider inputs that are not strings reach the mocks JSON-encoded.
            accounts = json.loads(accounts)
        region = inputs.get("region") or provider.get("region") or self.defaults.aws_region
        return str(accounts[0]), str(region)

    def _gcp_scope(self, provider_ref: str | None, inputs: Mapping[str, Any]) -> tuple[str, str]:
        provider = self._provider_inputs(provider_ref)
        project = inputs.get("project") or provider.get("project") or self.defaults.gcp_project
        region = inputs.get("location") or inputs.get("region") or provider.get("region") or self.defaults.gcp_region
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
