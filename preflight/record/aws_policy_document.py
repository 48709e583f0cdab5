"""`aws:iam/getPolicyDocument:getPolicyDocument` computed offline, as the Terraform AWS provider's data source
`aws_iam_policy_document` computes it: a program's `aws.iam.get_policy_document(...).json` is the document the real
provider would render, byte for byte.

Model and rendering: internal/service/iam/policy_model.go (iamPolicyDoc, MarshalJSON/UnmarshalJSON of the principal
and condition sets, Merge); reading the configuration: internal/service/iam/policy_document_data_source.go.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.record.terraform import (
    PolicyDocumentError,
    go_field,
    go_json,
    go_number,
    plain,
    serialise_string_set,
    set_list,
    string_set,
    strings,
    tf_string,
)

AWS_POLICY_DOCUMENT_TOKEN = "aws:iam/getPolicyDocument:getPolicyDocument"
_VERSIONS = ("2008-10-17", "2012-10-17")
_SID = re.compile(r"^[a-zA-Z0-9]*$")


@dataclass
class _Principal:
    type: str
    identifiers: str | list[str]


@dataclass
class _Condition:
    test: str
    variable: str
    values: str | list[str]


@dataclass
class _Statement:
    sid: str = ""
    effect: str = ""
    actions: Any = None
    not_actions: Any = None
    resources: Any = None
    not_resources: Any = None
    principals: list[_Principal] = field(default_factory=list)
    not_principals: list[_Principal] = field(default_factory=list)
    conditions: list[_Condition] = field(default_factory=list)


@dataclass
class _Document:
    version: str = ""
    id: str = ""
    statements: list[_Statement] = field(default_factory=list)

    def merge(self, new: _Document) -> None:
        # iamPolicyDoc.Merge: adopt Id, upgrade Version, replace statements with the same non-empty Sid in place.
        if new.id:
            self.id = new.id
        if new.version > self.version:
            self.version = new.version
        for statement in new.statements:
            if statement.sid:
                for i, existing in enumerate(self.statements):
                    if existing.sid == statement.sid:
                        self.statements[i] = statement
                        break
                else:
                    self.statements.append(statement)
            else:
                self.statements.append(statement)


def _decode_strings(values: list[str]) -> str | list[str]:
    # policyDecodeConfigStrings: the single element as a string, else sorted in reverse.
    if len(values) == 1:
        return values[0]
    return sorted(values, reverse=True)


def _replace_vars(value: str | list[str], version: str) -> str | list[str]:
    # dataSourcePolicyDocumentReplaceVarsInList: "&{" -> "${", refused in 2008-10-17 documents.
    items = [value] if isinstance(value, str) else value
    for item in items:
        if version == "2008-10-17" and "&{" in item:
            raise PolicyDocumentError(
                "statements", f"found &{{ sequence in ({item}), which is not supported in document version 2008-10-17"
            )
    if isinstance(value, str):
        return value.replace("&{", "${")
    return [v.replace("&{", "${") for v in value]


def _principals_from_config(blocks: Any, version: str) -> list[_Principal]:
    parsed = [(tf_string(b.get("type", "")), strings(b.get("identifiers"))) for b in (blocks or []) if isinstance(b, dict)]
    ordered = set_list(parsed, lambda p: "identifiers:" + serialise_string_set(p[1]) + "type:" + p[0] + ";")
    return [_Principal(kind, _replace_vars(_decode_strings(string_set(ids)), version)) for kind, ids in ordered]


def _conditions_from_config(blocks: Any, version: str) -> list[_Condition]:
    parsed = [
        (tf_string(b.get("test", "")), tf_string(b.get("variable", "")), strings(b.get("values")))
        for b in (blocks or [])
        if isinstance(b, dict)
    ]
    # Set element: test (string), values (list: "(" + "v;"... + ");"), variable (string), keys in sorted order.
    ordered = set_list(parsed, lambda c: "test:" + c[0] + ";values:(" + "".join(v + ";" for v in c[2]) + ");variable:" + c[1] + ";")
    out: list[_Condition] = []
    for test, variable, values in ordered:
        replaced = _replace_vars(values, version)
        out.append(_Condition(test, variable, replaced[0] if len(replaced) == 1 else replaced))
    return out


def _statement_from_config(cfg: Mapping[str, Any], version: str) -> _Statement:
    effect = cfg.get("effect")
    effect = "Allow" if effect is None else tf_string(effect)
    if effect not in ("Allow", "Deny"):
        raise PolicyDocumentError("statements", f'expected effect to be one of ["Allow" "Deny"], got {effect}')
    sid = tf_string(cfg.get("sid") or "")
    if not _SID.match(sid):
        raise PolicyDocumentError("statements", f"invalid sid {sid!r}: must only include alphanumeric characters")
    statement = _Statement(sid=sid, effect=effect)
    if actions := string_set(strings(cfg.get("actions"))):
        statement.actions = _decode_strings(actions)
    if not_actions := string_set(strings(cfg.get("notActions"))):
        statement.not_actions = _decode_strings(not_actions)
    if resources := string_set(strings(cfg.get("resources"))):
        statement.resources = _replace_vars(_decode_strings(resources), version)
    if not_resources := string_set(strings(cfg.get("notResources"))):
        statement.not_resources = _replace_vars(_decode_strings(not_resources), version)
    statement.principals = _principals_from_config(cfg.get("principals"), version)
    statement.not_principals = _principals_from_config(cfg.get("notPrincipals"), version)
    statement.conditions = _conditions_from_config(cfg.get("conditions"), version)
    return statement


def _principals_from_json(value: Any, where: str) -> list[_Principal]:
    # iamPolicyStatementPrincipalSet.UnmarshalJSON
    if value is None:
        return []
    if isinstance(value, str):
        return [_Principal("*", ["*"])]
    if isinstance(value, dict):
        out: list[_Principal] = []
        for kind, ids in value.items():
            if isinstance(ids, str):
                out.append(_Principal(kind, ids))
            elif isinstance(ids, list):
                if not all(isinstance(i, str) for i in ids):
                    raise PolicyDocumentError(
                        where,
                        "Unsupported element type for IAMPolicyStatementPrincipalSet.Identifiers "
                        f"(principal type {kind!r}): must be string",
                    )
                out.append(_Principal(kind, sorted(ids)))
            else:
                raise PolicyDocumentError(where, "Unsupported data type for IAMPolicyStatementPrincipalSet.Identifiers")
        return out
    raise PolicyDocumentError(where, "Unsupported data type for IAMPolicyStatementPrincipalSet")


def _conditions_from_json(value: Any, where: str) -> list[_Condition]:
    # iamPolicyStatementConditionSet.UnmarshalJSON: strings, bools (as "true"/"false") and string lists are kept;
    # any other value (a number, null) is dropped, as upstream drops it.
    if value is None:
        return []
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise PolicyDocumentError(where, "cannot unmarshal Condition")
    out: list[_Condition] = []
    for test, variables in value.items():
        for variable, values in variables.items():
            if isinstance(values, bool):
                out.append(_Condition(test, variable, "true" if values else "false"))
            elif isinstance(values, str):
                out.append(_Condition(test, variable, [values]))
            elif isinstance(values, list):
                if not all(isinstance(v, str) for v in values):
                    raise PolicyDocumentError(where, f"condition {test}/{variable}: values must be strings")
                out.append(_Condition(test, variable, list(values)))
    return out


def _document_from_json(text: str, where: str) -> _Document:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyDocumentError(where, f"writing IAM Policy Document: {where}: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyDocumentError(where, f"writing IAM Policy Document: {where}: not a JSON object")
    doc = _Document(version=_json_str(raw, "Version", where), id=_json_str(raw, "Id", where))
    statements = go_field(raw, "Statement")
    if statements is None:
        return doc
    if not isinstance(statements, list):
        raise PolicyDocumentError(where, f"writing IAM Policy Document: {where}: Statement must be a list")
    for item in statements:
        if not isinstance(item, dict):
            raise PolicyDocumentError(where, f"writing IAM Policy Document: {where}: a statement is not an object")
        doc.statements.append(
            _Statement(
                sid=_json_str(item, "Sid", where),
                effect=_json_str(item, "Effect", where),
                actions=go_number(go_field(item, "Action")),
                not_actions=go_number(go_field(item, "NotAction")),
                resources=go_number(go_field(item, "Resource")),
                not_resources=go_number(go_field(item, "NotResource")),
                principals=_principals_from_json(go_field(item, "Principal"), where),
                not_principals=_principals_from_json(go_field(item, "NotPrincipal"), where),
                conditions=_conditions_from_json(go_field(item, "Condition"), where),
            )
        )
    return doc


def _json_str(obj: Mapping[str, Any], name: str, where: str) -> str:
    value = go_field(obj, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PolicyDocumentError(where, f"writing IAM Policy Document: {where}: {name} must be a string")
    return value


def _render_principals(principals: list[_Principal]) -> Any:
    # iamPolicyStatementPrincipalSet.MarshalJSON: a lone {"*": "*"} is "*"; otherwise identifiers grouped by type in
    # statement order (lists reverse-sorted), a type with one string identifier stays a string; types sorted.
    if len(principals) == 1 and principals[0].type == "*" and principals[0].identifiers in ("*", ["*"]):
        return "*"
    raw: dict[str, str | list[str]] = {}
    for p in principals:
        existing = raw.get(p.type)
        if isinstance(p.identifiers, list):
            merged = [] if existing is None else ([existing] if isinstance(existing, str) else existing)
            raw[p.type] = merged + sorted(p.identifiers, reverse=True)
        elif existing is None:
            raw[p.type] = p.identifiers
        elif isinstance(existing, str):
            raw[p.type] = [existing, p.identifiers]
        else:
            raw[p.type] = [*existing, p.identifiers]
    return {k: raw[k] for k in sorted(raw)}


def _render_conditions(conditions: list[_Condition]) -> dict[str, Any]:
    # iamPolicyStatementConditionSet.MarshalJSON: values of the same test and variable are concatenated in order,
    # single values flattened to a string; Go writes map keys sorted.
    raw: dict[str, dict[str, list[str]]] = {}
    for c in conditions:
        values = raw.setdefault(c.test, {}).setdefault(c.variable, [])
        values.extend([c.values] if isinstance(c.values, str) else c.values)
    return {test: {var: (vals[0] if len(vals) == 1 else vals) for var, vals in sorted(raw[test].items())} for test in sorted(raw)}


def _render(doc: _Document) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if doc.version:
        out["Version"] = doc.version
    if doc.id:
        out["Id"] = doc.id
    statements = []
    for s in doc.statements:
        item: dict[str, Any] = {}
        if s.sid:
            item["Sid"] = s.sid
        if s.effect:
            item["Effect"] = s.effect
        for key, value in (
            ("Action", s.actions),
            ("NotAction", s.not_actions),
            ("Resource", s.resources),
            ("NotResource", s.not_resources),
        ):
            if value is not None:
                item[key] = value
        if s.principals:
            item["Principal"] = _render_principals(s.principals)
        if s.not_principals:
            item["NotPrincipal"] = _render_principals(s.not_principals)
        if s.conditions:
            item["Condition"] = _render_conditions(s.conditions)
        statements.append(item)
    if statements:
        out["Statement"] = statements
    return out


def aws_policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """The result of `aws:iam/getPolicyDocument:getPolicyDocument` for wire `args`.

    Raises PolicyDocumentError where the provider fails the invoke."""
    args = plain(dict(args))
    for deprecated in ("sourceJson", "overrideJson"):
        if args.get(deprecated):
            raise PolicyDocumentError(deprecated, f"{deprecated}: expected an empty string (the attribute is not used)")
    version = tf_string(args.get("version") or "2012-10-17")
    if version not in _VERSIONS:
        raise PolicyDocumentError("version", f'expected version to be one of ["2008-10-17" "2012-10-17"], got {version}')

    merged = _Document()
    seen_sids: set[str] = set()
    for index, source in enumerate(args.get("sourcePolicyDocuments") or []):
        if not source:  # null and "" elements are skipped
            continue
        where = f"merging source document {index}"
        source_doc = _document_from_json(tf_string(source), where)
        for stmt_index, stmt in enumerate(source_doc.statements):
            if stmt.sid:
                if stmt.sid in seen_sids:
                    raise PolicyDocumentError(
                        "sourcePolicyDocuments",
                        f"writing IAM Policy Document: {where}: duplicate Sid ({stmt.sid}) in source_policy_documents "
                        f"(statement {stmt_index}). Remove the Sid or ensure Sids are unique.",
                    )
                seen_sids.add(stmt.sid)
        merged.merge(source_doc)

    doc = _Document(version=version, id=tf_string(args.get("policyId") or ""))
    own_sids: set[str] = set()
    for cfg in args.get("statements") or []:
        statement = _statement_from_config(cfg if isinstance(cfg, dict) else {}, version)
        if statement.sid in own_sids:
            raise PolicyDocumentError(
                "statements", f"writing IAM Policy Document: duplicate Sid ({statement.sid}). Remove the Sid or ensure the Sid is unique."
            )
        if statement.sid:
            own_sids.add(statement.sid)
        doc.statements.append(statement)
    merged.merge(doc)

    for index, override in enumerate(args.get("overridePolicyDocuments") or []):
        if not override:
            continue
        merged.merge(_document_from_json(tf_string(override), f"merging override document {index}"))

    rendered = _render(merged)
    text = go_json(rendered, indent=True)
    result: dict[str, Any] = {
        "id": str(zlib.crc32(text.encode("utf-8"))),  # create.StringHashcode(json)
        "json": text,
        "minifiedJson": go_json(rendered, indent=False),
        "version": version,
    }
    for echoed in ("statements", "sourcePolicyDocuments", "overridePolicyDocuments", "policyId"):
        if args.get(echoed) is not None:
            result[echoed] = args[echoed]
    if isinstance(result.get("statements"), list):
        result["statements"] = [{**s, "effect": s.get("effect") or "Allow"} if isinstance(s, dict) else s for s in result["statements"]]
    return result
