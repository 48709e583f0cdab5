"""`gcp:organizations/getIAMPolicy:getIAMPolicy` computed offline, as the Terraform Google provider's data source
`google_iam_policy` computes it (`policyData` byte for byte).

google/services/resourcemanager/data_source_google_iam_policy.go (dataSourceGoogleIamPolicyRead, expandAuditConfig,
iamPolicyBindingsLessFunction); condition: tpgiamresource.ExpandIamCondition (ForceSendFields Expression, Title);
JSON: cloudresourcemanager/v1 Policy, Binding, Expr, AuditConfig, AuditLogConfig (fields alphabetical, omitempty).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from preflight.record.terraform import PolicyDocumentError, go_json, plain, serialise_string_set, set_list, string_set, strings, tf_string

GCP_IAM_POLICY_TOKEN = "gcp:organizations/getIAMPolicy:getIAMPolicy"


def _condition_of(binding: Mapping[str, Any]) -> dict[str, str] | None:
    condition = binding.get("condition")
    if isinstance(condition, list):
        condition = condition[0] if condition else None
    if not isinstance(condition, dict):
        return None
    return {k: tf_string(condition.get(k) or "") for k in ("description", "expression", "title")}


def _binding_sort_key(binding: Mapping[str, Any]) -> tuple[str, int, str, str, str]:
    condition = binding.get("condition")
    if condition is None:
        return (binding["role"], 0, "", "", "")
    return (binding["role"], 1, condition["expression"], condition["title"], condition["description"])


def _audit_log_serialisation(config: tuple[str, list[str]]) -> str:
    return "exempted_members:" + serialise_string_set(config[1]) + "log_type:" + config[0] + ";"


def gcp_iam_policy(args: Mapping[str, Any]) -> dict[str, Any]:
    """The result of `gcp:organizations/getIAMPolicy:getIAMPolicy` for wire `args` (bindings, auditConfigs)."""
    args = plain(dict(args))
    blocks: list[tuple[str, list[str], dict[str, str] | None]] = []
    for raw in args.get("bindings") or []:
        if not isinstance(raw, dict):
            continue
        members = strings(raw.get("members"))
        for member in members:
            if member.startswith("deleted:"):
                raise PolicyDocumentError("bindings", "Terraform does not support IAM policies for deleted principals")
        blocks.append((tf_string(raw.get("role") or ""), members, _condition_of(raw)))

    def binding_serialisation(block: tuple[str, list[str], dict[str, str] | None]) -> str:
        role, members, condition = block
        cond = "" if condition is None else "<" + "".join(f"{k}:{condition[k]};" for k in ("description", "expression", "title")) + ">;"
        return "condition:(" + cond + ");members:" + serialise_string_set(members, hash_string=True) + "role:" + role + ";"

    bindings: dict[str, dict[str, Any]] = {}
    for role, members, condition in set_list(blocks, binding_serialisation):  # identical blocks are one element
        member_list = sorted(string_set(members, hash_string=True))  # tpgresource.ConvertStringSet sorts
        key = role
        if condition is not None:
            key += f"-[{condition['expression']}]-[{condition['title']}]-[{condition['description']}]-[]"
        if key in bindings:
            # Equivalent blocks (same role and condition) merge member lists; upstream appends, duplicates kept.
            bindings[key]["members"] = bindings[key]["members"] + member_list
        else:
            bindings[key] = {"role": role, "members": member_list, "condition": condition}
    ordered = sorted(bindings.values(), key=_binding_sort_key)
    rendered_bindings = []
    for b in ordered:
        item: dict[str, Any] = {}
        if b["condition"] is not None:
            cond = b["condition"]
            item["condition"] = {
                **({"description": cond["description"]} if cond["description"] else {}),
                "expression": cond["expression"],
                "title": cond["title"],
            }
        if b["members"]:
            item["members"] = sorted(b["members"])
        if b["role"]:
            item["role"] = b["role"]
        rendered_bindings.append(item)

    audit_inputs: list[tuple[str, list[tuple[str, list[str]]]]] = []
    for raw in args.get("auditConfigs") or []:
        if not isinstance(raw, dict):
            continue
        logs = [
            (tf_string(c.get("logType") or ""), strings(c.get("exemptedMembers")))
            for c in (raw.get("auditLogConfigs") or [])
            if isinstance(c, dict)
        ]
        audit_inputs.append((tf_string(raw.get("service") or ""), logs))

    def audit_serialisation(config: tuple[str, list[tuple[str, list[str]]]]) -> str:
        logs = "".join("<" + _audit_log_serialisation(c) + ">;" for c in set_list(config[1], _audit_log_serialisation))
        return "audit_log_configs:{" + logs + "};service:" + config[0] + ";"

    rendered_audits = []
    for service, logs in set_list(audit_inputs, audit_serialisation):
        log_items = []
        for log_type, exempted in set_list(logs, _audit_log_serialisation):
            log_item: dict[str, Any] = {}
            if members := string_set(exempted):  # ConvertStringArr keeps set order
                log_item["exemptedMembers"] = members
            if log_type:
                log_item["logType"] = log_type
            log_items.append(log_item)
        audit: dict[str, Any] = {}
        if log_items:
            audit["auditLogConfigs"] = log_items
        if service:
            audit["service"] = service
        rendered_audits.append(audit)

    policy: dict[str, Any] = {}
    if rendered_audits:
        policy["auditConfigs"] = rendered_audits
    if rendered_bindings:
        policy["bindings"] = rendered_bindings
    text = go_json(policy, indent=False)
    result: dict[str, Any] = {"id": str(zlib.crc32(text.encode("utf-8"))), "policyData": text}
    for echoed in ("bindings", "auditConfigs"):
        if args.get(echoed) is not None:
            result[echoed] = args[echoed]
    return result
