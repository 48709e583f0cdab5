"""Fluent Bit's configuration text: service, tail input, the mesh parsers and filters, the Lua normalizer and the
output, each rendered from data (the mesh rules of components/mesh.py, the cluster and the endpoint)."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.backends.interface import BackendEndpoint
from components.collectors.interface import BUFFER_LIMIT, CA_FILE, PASSWORD_ENV, USERNAME_ENV, helm_literal, static_labels
from components.config.schema import ClusterConfig, PlatformConfig
from components.mesh import ACCESS_LOG_FORMATS, CANONICAL_FIELDS, AccessLogFormat, onigmo, rules_as_data
from components.names import data_stream, tenant

FLUENT_BIT_STATE = "/var/fluent-bit/state"
FLUENT_BIT_LUA = "logmesh_mesh.lua"


def fluent_bit_parsers() -> str:
    """The mesh parsers: a JSON decoder, the Envoy text regex, and one regex per extracting field rule."""
    blocks = ["[PARSER]\n    Name   logmesh_json\n    Format json"]
    for fmt in ACCESS_LOG_FORMATS:
        if fmt.regex is not None:
            blocks.append(f"[PARSER]\n    Name   logmesh_{fmt.name.replace('-', '_')}\n    Format regex\n    Regex  {onigmo(fmt.regex)}")
        for rule in fmt.rules:
            # Text formats share their JSON twin's rules; an extracting rule needs one parser per JSON format.
            if rule.pattern is not None and fmt.encoding == "json":
                blocks.append(
                    f"[PARSER]\n    Name   {_extract_parser(fmt, rule.field)}\n    Format regex\n"
                    f"    Regex  {onigmo(rule.pattern, {'value': rule.field})}"
                )
    return "\n\n".join(blocks) + "\n"


def _extract_parser(fmt: AccessLogFormat, field: str) -> str:
    return f"logmesh_{fmt.name.replace('-', '_')}_{field}"


def _proxy_match(container: str) -> str:
    # Tail tags are kube.<path with dots>: kube.var.log.containers.<pod>_<namespace>_<container>-<id>.log
    return f"kube.*_{container}-*"


def fluent_bit_lua() -> str:
    """Canonical fields from decoded access logs (rename and unit rules), generated from components/mesh.py.

    Extracting rules (a regex on a key) run before this as parser filters; here only plain and scaled copies."""
    formats = [
        {**{k: v for k, v in fmt.items() if k in ("name", "marker")}, "rules": [r for r in fmt["rules"] if "pattern" not in r]}
        for fmt in rules_as_data()
        if fmt["encoding"] == "json" or "regex" in fmt
    ]
    # Text formats share their JSON twin's keys and rules; keep one entry per marker.
    unique = list({fmt["marker"]: fmt for fmt in formats}.values())
    return (
        "-- Generated from components/mesh.py ACCESS_LOG_FORMATS; do not edit.\n"
        f"local formats = {_lua(unique)}\n"
        "local empty = { [''] = true, ['-'] = true }\n"
        "function normalize_access_log(tag, timestamp, record)\n"
        "  for _, format in ipairs(formats) do\n"
        "    if record[format.marker] ~= nil then\n"
        "      for _, rule in ipairs(format.rules) do\n"
        "        local value = record[rule.source]\n"
        "        if value ~= nil and not empty[tostring(value)] then\n"
        "          if rule.scale ~= nil then value = tonumber(value) * rule.scale end\n"
        "          if rule.numeric then value = tonumber(value) end\n"
        "          if value ~= nil then record[rule.field] = value end\n"
        "        elseif rule.field == rule.source then\n"
        "          record[rule.field] = nil\n"
        "        end\n"
        "      end\n"
        "      return 2, timestamp, record\n"
        "    end\n"
        "  end\n"
        "  return 0, timestamp, record\n"
        "end\n"
    )


def _lua(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "{ " + ", ".join(_lua(v) for v in value) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value)


def fluent_bit_filters(platform: PlatformConfig, cluster: ClusterConfig, kind: str) -> str:
    blocks = [
        "[FILTER]\n    Name                kubernetes\n    Match               kube.*\n    Merge_Log           Off\n"
        "    Keep_Log            On\n    K8S-Logging.Parser  Off\n    K8S-Logging.Exclude Off\n    Labels              Off\n"
        "    Annotations         Off\n    Buffer_Size         0"
    ]
    for container in dict.fromkeys(f.container for f in ACCESS_LOG_FORMATS):
        match = _proxy_match(container)
        formats = [f for f in ACCESS_LOG_FORMATS if f.container == container]
        parsers = ["logmesh_json"] + [f"logmesh_{f.name.replace('-', '_')}" for f in formats if f.regex is not None]
        blocks.append(
            f"[FILTER]\n    Name         parser\n    Match        {match}\n    Key_Name     log\n"
            + "".join(f"    Parser       {p}\n" for p in parsers)
            + "    Reserve_Data On\n    Preserve_Key On"
        )
        for fmt in formats:
            for rule in fmt.rules:
                if rule.pattern is not None and fmt.encoding == "json":
                    blocks.append(
                        f"[FILTER]\n    Name         parser\n    Match        {match}\n    Key_Name     {rule.source}\n"
                        f"    Parser       {_extract_parser(fmt, rule.field)}\n    Reserve_Data On\n    Preserve_Key On"
                    )
    blocks.append(
        f"[FILTER]\n    Name   lua\n    Match  kube.*\n    script /fluent-bit/scripts/{FLUENT_BIT_LUA}\n    call   normalize_access_log"
    )
    if kind == "elk":
        # Elasticsearch has no stream labels: the same labels become ECS `labels.*` fields.
        adds = "".join(f"    Add       logmesh_label_{k} {v}\n" for k, v in static_labels(platform, cluster).items())
        blocks.append(f"[FILTER]\n    Name      modify\n    Match     kube.*\n{adds}".rstrip())
        blocks.append(
            "[FILTER]\n    Name          nest\n    Match         kube.*\n    Operation     nest\n"
            "    Wildcard      logmesh_label_*\n    Nest_under    labels\n    Remove_prefix logmesh_label_"
        )
    return "\n\n".join(dict.fromkeys(blocks)) + "\n"


def fluent_bit_output(platform: PlatformConfig, cluster: ClusterConfig, endpoint: BackendEndpoint) -> pulumi.Output[str]:
    # tls.verify checks the chain only; the host name is checked only with tls.verify_hostname (default Off).
    common = (
        f"    tls                      On\n    tls.verify               On\n    tls.verify_hostname      On\n"
        f"    tls.ca_file              {CA_FILE}\n"
        "    Retry_Limit              no_limits\n"
        f"    storage.total_limit_size {BUFFER_LIMIT}\n"
    )

    def render(host: str) -> str:
        if endpoint.kind == "loki":
            labels = ", ".join(f"{k}={v}" for k, v in static_labels(platform, cluster).items())
            metadata = ", ".join(f"{field}=${field}" for field in CANONICAL_FIELDS)
            return (
                "[OUTPUT]\n    Name                     loki\n    Match                    kube.*\n"
                f"    host                     {host}\n    port                     {endpoint.port}\n"
                f"    uri                      {endpoint.path}\n    tenant_id                {tenant(cluster)}\n"
                f"    http_user                ${{{USERNAME_ENV}}}\n    http_passwd              ${{{PASSWORD_ENV}}}\n"
                f"    labels                   {labels}, namespace=$kubernetes['namespace_name']\n"
                f"    structured_metadata      {metadata}\n"
                "    line_format              json\n" + common
            )
        return (
            "[OUTPUT]\n    Name                     es\n    Match                    kube.*\n"
            f"    Host                     {host}\n    Port                     {endpoint.port}\n"
            f"    HTTP_User                ${{{USERNAME_ENV}}}\n    HTTP_Passwd              ${{{PASSWORD_ENV}}}\n"
            f"    Index                    {data_stream(cluster)}\n    Write_Operation          create\n"
            "    Suppress_Type_Name       On\n    Replace_Dots             On\n    Trace_Error              On\n" + common
        )

    return pulumi.Output.from_input(endpoint.host).apply(lambda host: helm_literal(render(host)))


def fluent_bit_service() -> str:
    return (
        "[SERVICE]\n    Daemon                    Off\n    Flush                     1\n    Log_Level                 info\n"
        "    Parsers_File              /fluent-bit/etc/parsers.conf\n"
        "    Parsers_File              /fluent-bit/etc/conf/custom_parsers.conf\n"
        "    HTTP_Server               On\n    HTTP_Listen               0.0.0.0\n    HTTP_Port                 2020\n"
        "    Health_Check              On\n"
        f"    storage.path              {FLUENT_BIT_STATE}/flb-storage/\n    storage.sync              normal\n"
        "    storage.checksum          off\n    storage.max_chunks_up     128\n    storage.backlog.mem_limit 16M\n"
    )


def fluent_bit_inputs() -> str:
    return (
        "[INPUT]\n    Name              tail\n    Path              /var/log/containers/*.log\n"
        "    multiline.parser  docker, cri\n    Tag               kube.*\n    Skip_Long_Lines   On\n"
        f"    DB                {FLUENT_BIT_STATE}/flb_kube.db\n    DB.locking        true\n"
        "    Mem_Buf_Limit     16MB\n    storage.type      filesystem\n    Refresh_Interval  10\n"
    )
