"""Typed stand-in values for invoke results and computed resource outputs that preflight cannot know offline.

The shape comes from the installed provider SDK (`preflight/record/sdk_types.py`). Values are deterministic
(derived from the token, the resource name and the field path), typed, and recognisable: strings read
`standin-<field>` unless the field is one whose shape programs depend on (ARNs, ids, regions, zones, endpoints,
certificates), lists have one element, mappings are empty, nested objects are filled to `MAX_DEPTH`. Each function
returns the wire paths it stood in, so the record stage can list them in `Recording.stand_ins`.

Resources get stand-ins only where that cannot make a policy pass by accident (policies read outputs): properties
missing from the inputs that the SDK declares always present (not Optional) and that are outputs only; and, inside
object properties that are also inputs (GKE's `masterAuth`), only string leaves named like provider-computed values
(certificates, endpoints, issuers...), never under a property whose name has security meaning.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preflight.record.sdk_types import ListOf, MapOf, Node, Obj, Scalar, invoke_schema, resource_schema

# Input properties whose values carry security meaning: never invented, even as nested strings.
_SENSITIVE = re.compile(
    r"encrypt|kms|polic|public|acl|logging|versioning|retention|backup|protect|secur|tls|ssl|firewall|private|access|"
    r"iam|password|secret|permission|grant|principal|rule|ingress|egress|deletion|audit|enabled|mode",
    re.IGNORECASE,
)
# Inside properties that are also inputs, only leaves named like values a provider computes are stood in.
_COMPUTED_LEAF = re.compile(r"certificate|endpoint|issuer|fingerprint|selflink|etag|uid$", re.IGNORECASE)


@dataclass(frozen=True)
class Scope:
    """Where the stand-in lives: account/region (AWS), project/region (GCP)."""

    aws_account: str
    aws_region: str
    gcp_project: str
    gcp_region: str


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _pem_b64(seed: str) -> str:
    pem = f"-----BEGIN CERTIFICATE-----\nstandin-{_hex(seed, 32)}\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


_AWS_ID_PREFIXES = {
    "imageid": "ami",
    "vpcid": "vpc",
    "subnetid": "subnet",
    "securitygroupid": "sg",
    "clustersecuritygroupid": "sg",
    "internetgatewayid": "igw",
    "natgatewayid": "nat",
    "routetableid": "rtb",
    "networkinterfaceid": "eni",
    "volumeid": "vol",
    "snapshotid": "snap",
    "instanceid": "i",
}
_AWS_ID_FOR_FUNCTION = {"getami": "ami", "getvpc": "vpc", "getsubnet": "subnet", "getsecuritygroup": "sg", "getinstance": "i"}


@dataclass(frozen=True)
class _Context:
    token: str
    subject: str
    scope: Scope

    @property
    def package(self) -> str:
        return self.token.split(":", 1)[0]

    @property
    def service(self) -> str:
        mod = self.token.split(":")[1] if self.token.count(":") >= 2 else ""
        service = mod.split("/")[0]
        return "" if service == "index" else service

    @property
    def member(self) -> str:
        return self.token.rsplit(":", 1)[-1].replace("_", "").lower()


def _string_for(wire: str, path: str, ctx: _Context) -> str:
    lower = wire.lower()
    seed = f"{ctx.token}/{ctx.subject}/{path}"
    h = _hex(seed, 8)
    region = ctx.scope.aws_region if ctx.package == "aws" else ctx.scope.gcp_region
    if ctx.package == "aws":
        if lower == "arn" or lower.endswith("arn"):
            kind = ctx.member[3:] if ctx.member.startswith("get") else ctx.member
            return f"arn:aws:{ctx.service or 'standin'}:{region}:{ctx.scope.aws_account}:{kind}/standin-{h}"
        if lower in ("accountid", "ownerid"):
            return ctx.scope.aws_account
        if lower in ("availabilityzone", "zonename"):
            return region + "a"
        if lower == "zoneid" and ctx.service == "route53":
            return "Z" + _hex(seed, 20).upper()
        prefix = _AWS_ID_PREFIXES.get(lower) or (_AWS_ID_FOR_FUNCTION.get(ctx.member) if lower == "id" else None)
        if prefix:
            return f"{prefix}-{_hex(seed, 17)}"
        if ctx.service == "eks" and lower == "endpoint":
            return f"https://{_hex(seed, 32).upper()}.gr7.{region}.eks.amazonaws.com"
        if ctx.service == "eks" and lower == "issuer":
            return f"https://oidc.eks.{region}.amazonaws.com/id/{_hex(seed, 32).upper()}"
    if ctx.package == "gcp":
        if lower == "project":
            return ctx.scope.gcp_project
        if lower == "zone":
            return region + "-a"
        if lower == "selflink":
            return f"https://www.googleapis.com/{ctx.service or 'standin'}/v1/projects/{ctx.scope.gcp_project}/standin/{h}"
        if lower == "email" or lower.endswith("email"):
            return f"standin-{h}@{ctx.scope.gcp_project}.iam.gserviceaccount.com"
        if lower == "endpoint":
            return f"203.0.113.{int(h, 16) % 254 + 1}"  # TEST-NET-3: an address that is visibly not real
    if lower in ("region", "location"):
        return region
    if "certificate" in lower or lower in ("data", "cadata"):
        return _pem_b64(seed)
    if lower == "endpoint" or lower in ("issuer", "url", "uri") or lower.endswith("url"):
        return f"https://standin-{h}.example.invalid"
    if lower in ("policy", "json", "document") or lower.endswith("policy") or lower.endswith("json"):
        return "{}"
    if "cidr" in lower:
        return "10.0.0.0/16"
    if lower.endswith("ip") or lower.endswith("ipaddress"):
        return "192.0.2.1"
    if lower.endswith("time") or lower.endswith("date") or (lower.endswith("at") and lower.startswith("created")):
        return "2024-01-01T00:00:00Z"
    if lower == "id" or lower.endswith("id"):
        return f"standin-{wire}-{h}"
    return f"standin-{wire}"


def _special_list(wire: str, ctx: _Context) -> list[Any] | None:
    if ctx.member == "getavailabilityzones" and wire == "names":
        return [ctx.scope.aws_region + s for s in "abc"]
    if ctx.member == "getavailabilityzones" and wire == "zoneIds":
        return [f"use1-az{i}" for i in (1, 2, 3)]
    return None


def _fill(node: Node, wire: str, path: str, ctx: _Context, paths: list[str], strings_only: bool = False) -> Any:
    """A stand-in for `node`; `paths` collects the leaf paths filled. With `strings_only`, only string leaves named
    like computed values (`_COMPUTED_LEAF`) are filled; anything else is left out (returned as None)."""
    if isinstance(node, Scalar):
        if strings_only and (node.kind != "str" or node.choices or not _COMPUTED_LEAF.search(wire)):
            return None
        paths.append(path)
        if node.choices:
            return node.choices[0]
        return {"str": _string_for(wire, path, ctx), "int": 1, "float": 1.0, "bool": False}.get(node.kind, {})
    if isinstance(node, MapOf):
        if strings_only:
            return None
        paths.append(path)
        return {}
    if isinstance(node, ListOf):
        if strings_only:
            return None  # a list element of an input object would be a made-up input (an owner reference, a node pool)
        special = _special_list(wire, ctx)
        if special is not None:
            paths.append(path)
            return special
        item = _fill(node.item, wire, f"{path}[0]", ctx, paths)
        return None if item is None else [item]
    out: dict[str, Any] = {}
    for f in node.fields:
        value = _fill(f.node, f.wire, f"{path}.{f.wire}" if path else f.wire, ctx, paths, strings_only)
        if value is not None and not (strings_only and value == {}):
            out[f.wire] = value
    return None if strings_only and not out else out


def _merge_missing(node: Node, given: Any, wire: str, path: str, ctx: _Context, paths: list[str]) -> Any:
    """`given` (an input object) with missing string leaves stood in, recursively; lists are left as given."""
    if not isinstance(node, Obj) or not isinstance(given, dict):
        return given
    out = dict(given)
    for f in node.fields:
        sub = f"{path}.{f.wire}"
        if f.wire in out:
            out[f.wire] = _merge_missing(f.node, out[f.wire], f.wire, sub, ctx, paths)
        elif not _SENSITIVE.search(f.wire):
            value = _fill(f.node, f.wire, sub, ctx, paths, strings_only=True)
            if value not in (None, {}, []):
                out[f.wire] = value
    return out


def invoke_standin(token: str, args: Mapping[str, Any], scope: Scope) -> tuple[dict[str, Any], list[str]] | None:
    """A typed result for `token` and the paths stood in: every result field stood in, except fields named like
    arguments, which echo the arguments. None when no SDK function matches the token."""
    schema = invoke_schema(token)
    if schema is None:
        return None
    ctx = _Context(token, "", scope)
    result: dict[str, Any] = {}
    paths: list[str] = []
    for f in schema.fields:
        if f.wire in args and args[f.wire] is not None:
            result[f.wire] = args[f.wire]
            continue
        value = _fill(f.node, f.wire, f.wire, ctx, paths)
        if value is not None:
            result[f.wire] = value
    return result, paths


def resource_standins(
    type_token: str, name: str, inputs: Mapping[str, Any], known: Mapping[str, Any], scope: Scope
) -> tuple[dict[str, Any], list[str]]:
    """Outputs to add to a registered resource and the paths stood in: see the module docstring for which properties
    qualify. `known` are the outputs already decided (inputs and the mocks' own); they are never replaced, only
    completed."""
    schema = resource_schema(type_token)
    if schema is None:
        return {}, []
    ctx = _Context(type_token, name, scope)
    added: dict[str, Any] = {}
    paths: list[str] = []
    for f in schema.outputs.fields:
        if f.wire in ("id", "urn") or (ctx.package == "kubernetes" and f.wire == "metadata"):
            continue  # Kubernetes metadata is the mocks' own answer (uid, resourceVersion; selfLink is gone since 1.24)
        output_only = f.wire not in schema.inputs
        if f.wire in known:
            if not output_only and isinstance(known[f.wire], dict) and not _SENSITIVE.search(f.wire):
                merged = _merge_missing(f.node, known[f.wire], f.wire, f.wire, ctx, paths)
                if merged != known[f.wire]:
                    added[f.wire] = merged
            continue
        if f.optional:
            continue
        if f.wire == "tagsAll":
            added[f.wire] = dict(inputs.get("tags") or {})
            continue
        if output_only:
            value = _fill(f.node, f.wire, f.wire, ctx, paths)
        elif isinstance(f.node, Obj):
            if _SENSITIVE.search(f.wire):
                continue
            value = _fill(f.node, f.wire, f.wire, ctx, paths, strings_only=True)
        else:
            continue
        if value is not None:
            added[f.wire] = value
    return added, paths
