"""The Job that applies ILM, the index template, the snapshot repository and SLM through the Elasticsearch API."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files

import pulumi
import pulumi_kubernetes as k8s

from components.backends.elk_documents import ilm_policy, index_template, slm_policy, snapshot_repository, trace_ilm_policy
from components.backends.network import ES_HTTP_PORT, ES_SETUP_SELECTOR, KIBANA_PORT
from components.dashboards.grafana import audit_trail_text
from components.dashboards.kibana import saved_objects_ndjson
from components.names import (
    BACKEND_NAMESPACE,
    ELASTICSEARCH_HTTP_TLS_SECRET,
    ES_ELASTIC_USER_SECRET,
    ES_HTTP_SERVICE,
    KIBANA_CA_SECRET,
    KIBANA_HTTP_SERVICE,
    MANAGED_BY_LABELS,
    TRACE_ILM_POLICY,
    TRACE_INDEX_PREFIX,
)
from components.pins import CURL_IMAGE, JAEGER_IMAGE
from components.tracing.correlation import kibana_trace_field_format
from components.tracing.jaeger_config import TRACE_MAPPINGS, TRACE_MAPPINGS_DIR, mappings_script

KIBANA_HOST = f"{KIBANA_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc"
KIBANA_URL = f"https://{KIBANA_HOST}:{KIBANA_PORT}"


TRACE_MAPPINGS_SCRIPT = "trace-mappings.sh"


@dataclass(frozen=True)
class TraceSetup:
    """With tracing: the store's Jaeger (Kibana links trace ids to it) and the age its span indices are deleted at."""

    jaeger_url: str
    delete_days: int  # RetentionPlan.daily_index_delete_days


def setup_script() -> str:
    """The Job's shell script (assets/es-setup.sh) with the Elasticsearch service's address filled in."""
    template = files("components.backends").joinpath("assets/es-setup.sh").read_text(encoding="utf-8")
    host = f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc"
    filled = template.replace("@ES_HOST@", host).replace("@ES_PORT@", str(ES_HTTP_PORT))
    filled = filled.replace("@TRACE_ILM_POLICY@", TRACE_ILM_POLICY).replace("@TRACE_INDEX_PREFIX@", TRACE_INDEX_PREFIX)
    filled = filled.replace("@TRACE_MAPPINGS@", " ".join(TRACE_MAPPINGS)).replace("@TRACE_MAPPINGS_DIR@", TRACE_MAPPINGS_DIR)
    return filled.replace("@KIBANA_HOST@", KIBANA_HOST).replace("@KIBANA_URL@", KIBANA_URL)


def setup_documents(
    cloud: str,
    store: str,
    bucket_name: pulumi.Output[str],
    retention_days: int,
    index_replicas: int,
    trail: str,
    traces: TraceSetup | None = None,
) -> dict[str, pulumi.Input[str]]:
    """The script and the documents it PUTs, as the files of the Job's ConfigMap. With `traces`, the span indices
    join the snapshots, get their lifecycle and Jaeger's templates, and Kibana links trace ids to the store's Jaeger."""
    base_path = f"elasticsearch/{store}"
    formats = kibana_trace_field_format(traces.jaeger_url) if traces else None
    tracing: dict[str, pulumi.Input[str]] = {}
    if traces:
        tracing = {
            "trace-ilm-policy.json": json.dumps(trace_ilm_policy(traces.delete_days), indent=2),
            TRACE_MAPPINGS_SCRIPT: mappings_script(index_replicas),
        }
    return {
        "setup.sh": setup_script(),
        "ilm-policy.json": json.dumps(ilm_policy(retention_days), indent=2),
        "index-template.json": json.dumps(index_template(index_replicas), indent=2),
        "snapshot-repository.json": bucket_name.apply(lambda bucket: json.dumps(snapshot_repository(cloud, bucket, base_path), indent=2)),
        "slm-policy.json": json.dumps(slm_policy(retention_days, traces is not None), indent=2),
        "kibana-saved-objects.ndjson": bucket_name.apply(
            lambda bucket: saved_objects_ndjson(audit_trail_text(cloud, trail, bucket), formats)
        ),
        **tracing,
    }


def es_setup_job(
    name: str, documents: Mapping[str, pulumi.Input[str]], in_namespace: pulumi.ResourceOptions, after: pulumi.Resource
) -> k8s.batch.v1.Job:
    """Applies ILM, the index template, the snapshot repository and SLM through the Elasticsearch API, then imports
    Kibana's saved objects through Kibana's.

    Every call is an idempotent PUT. The ConfigMap is auto-named, so a change to any document replaces it,
    which replaces the Job, which runs again."""
    config = k8s.core.v1.ConfigMap(
        f"{name}-es-setup",
        metadata=k8s.meta.v1.ObjectMetaArgs(namespace=BACKEND_NAMESPACE, labels=dict(MANAGED_BY_LABELS)),
        data=dict(documents),
        opts=in_namespace,
    )
    volumes = [
        k8s.core.v1.VolumeArgs(name="setup", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config.metadata.name)),
        k8s.core.v1.VolumeArgs(
            name="es-user",
            secret=k8s.core.v1.SecretVolumeSourceArgs(
                secret_name=ES_ELASTIC_USER_SECRET, items=[k8s.core.v1.KeyToPathArgs(key="elastic", path="elastic")]
            ),
        ),
        k8s.core.v1.VolumeArgs(
            name="es-tls",
            secret=k8s.core.v1.SecretVolumeSourceArgs(
                secret_name=ELASTICSEARCH_HTTP_TLS_SECRET, items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")]
            ),
        ),
        k8s.core.v1.VolumeArgs(
            name="kibana-ca",
            secret=k8s.core.v1.SecretVolumeSourceArgs(
                secret_name=KIBANA_CA_SECRET, items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")]
            ),
        ),
        k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="16Mi")),
    ]
    mounts = [
        k8s.core.v1.VolumeMountArgs(name="setup", mount_path="/etc/logmesh", read_only=True),
        k8s.core.v1.VolumeMountArgs(name="es-user", mount_path="/etc/es-user", read_only=True),
        k8s.core.v1.VolumeMountArgs(name="es-tls", mount_path="/etc/es-tls", read_only=True),
        k8s.core.v1.VolumeMountArgs(name="kibana-ca", mount_path="/etc/kibana-ca", read_only=True),
        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
    ]
    # With tracing: Jaeger's own generator renders its index templates into /tmp, where setup.sh PUTs them from.
    # It sees the scripts and /tmp only, never the elastic user's password or a CA.
    init_mounts = [mounts[0], mounts[-1]]
    init = [_container("trace-mappings", JAEGER_IMAGE, TRACE_MAPPINGS_SCRIPT, init_mounts)] if TRACE_MAPPINGS_SCRIPT in documents else None
    return k8s.batch.v1.Job(
        f"{name}-es-setup",
        metadata=k8s.meta.v1.ObjectMetaArgs(namespace=BACKEND_NAMESPACE, labels={**MANAGED_BY_LABELS, **ES_SETUP_SELECTOR}),
        spec=k8s.batch.v1.JobSpecArgs(
            backoff_limit=6,
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(ES_SETUP_SELECTOR)),
                spec=k8s.core.v1.PodSpecArgs(
                    restart_policy="OnFailure",
                    automount_service_account_token=False,
                    security_context=k8s.core.v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=100,
                        run_as_group=101,
                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    init_containers=init,
                    containers=[_container("setup", CURL_IMAGE, "setup.sh", mounts)],
                    volumes=volumes,
                ),
            ),
        ),
        opts=pulumi.ResourceOptions.merge(
            in_namespace,
            pulumi.ResourceOptions(depends_on=[after], custom_timeouts=pulumi.CustomTimeouts(create="20m", update="20m")),
        ),
    )


def _container(name: str, image: str, script: str, mounts: list[k8s.core.v1.VolumeMountArgs]) -> k8s.core.v1.ContainerArgs:
    """A hardened container running one script of the Job's ConfigMap."""
    return k8s.core.v1.ContainerArgs(
        name=name,
        image=image,
        command=["/bin/sh", f"/etc/logmesh/{script}"],
        volume_mounts=mounts,
        resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "64Mi"}),
        security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            run_as_non_root=True,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
        ),
    )
