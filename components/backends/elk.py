"""Elasticsearch and Kibana through the ECK operator, on the store's bucket for snapshots."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.backends.base import LogBackend, backend_meta, secret
from components.backends.elk_documents import kibana_preconfigured_connectors
from components.backends.elk_sizing import elasticsearch_sizing
from components.backends.interface import COLLECTOR_USER, BackendArgs, BackendEndpoint
from components.backends.network import ES_HTTP_PORT, elk_policies
from components.backends.setup_job import KIBANA_URL, TraceSetup, es_setup_job, setup_documents
from components.kubernetes import eck_operator_values, service_type
from components.names import (
    BACKEND_NAMESPACE,
    COLLECTOR_NAMESPACE,
    ECK_OPERATOR_NAMESPACE,
    ELASTICSEARCH_COLLECTOR_SECRET,
    ELASTICSEARCH_HTTP_TLS_SECRET,
    ELASTICSEARCH_ROLES_SECRET,
    ES_ELASTIC_USER_SECRET,
    ES_HTTP_SERVICE,
    ES_INDEX_PREFIX,
    ES_NAME,
    JAEGER_ES_USER_SECRET,
    KIBANA_CA_SECRET,
    KIBANA_NAME,
    data_events_trail,
)
from components.pins import ECK_OPERATOR_CHART, ELASTIC_STACK_VERSION
from components.storage.retention import RetentionPlan
from components.tracing.jaeger_config import JAEGER_ES_ROLE, JAEGER_USER, jaeger_role


class ElkBackend(LogBackend):
    """Elasticsearch and Kibana through the ECK operator, with ILM, a snapshot repository on the store's bucket
    and a file-realm user for collectors."""

    def __init__(self, name: str, args: BackendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("logmesh:backends:ElkBackend", name, args, opts)
        platform, store = args.platform, args.store_config
        self.sizing = elasticsearch_sizing(platform.environment, platform.daily_volume_gb, self.retention_days)
        self.nodes = self.sizing.nodes
        self.index_replicas = self.sizing.index_replicas

        operator_namespace = self._namespace(ECK_OPERATOR_NAMESPACE, "eck-operator")
        self.operator = self.release(
            "eck-operator",
            ECK_OPERATOR_CHART,
            ECK_OPERATOR_NAMESPACE,
            # The collectors namespace too: a Filebeat collector on this cluster is an ECK Beat there.
            eck_operator_values([BACKEND_NAMESPACE, COLLECTOR_NAMESPACE]),
            [operator_namespace],
        )

        service_dns = [f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc", f"{ES_HTTP_SERVICE}.{BACKEND_NAMESPACE}.svc.cluster.local"]
        ca_pem, tls_secret = self.ingest_tls(service_dns, ELASTICSEARCH_HTTP_TLS_SECRET)
        self.ca_pem = ca_pem
        writer = self.password("collector")
        self.writer_password = secret(writer.result)
        collector_secret = self.basic_auth_secret(
            ELASTICSEARCH_COLLECTOR_SECRET, "collector-credentials", COLLECTOR_USER, writer.result, roles="logmesh_writer"
        )
        # With tracing, Jaeger's own user (components/tracing/): its span and service indices only.
        tracing_users = [self._jaeger_user()] if args.tracing else []
        roles_secret = k8s.core.v1.Secret(
            f"{name}-es-roles",
            metadata=backend_meta(ELASTICSEARCH_ROLES_SECRET),
            type="Opaque",
            string_data={
                "roles.yml": json.dumps(
                    {
                        "logmesh_writer": {
                            "cluster": ["monitor"],
                            "indices": [{"names": [f"{ES_INDEX_PREFIX}*"], "privileges": ["create_doc", "auto_configure"]}],
                        },
                        **({JAEGER_ES_ROLE: jaeger_role()} if args.tracing else {}),
                    }
                )
            },
            opts=self.in_namespace,
        )

        self.network_policies(elk_policies(store.cloud, self.exposed, store.aggregation is not None))
        after_operator = pulumi.ResourceOptions.merge(self.in_namespace, pulumi.ResourceOptions(depends_on=[self.operator]))
        self.elasticsearch = k8s.apiextensions.CustomResource(
            f"{name}-elasticsearch",
            api_version="elasticsearch.k8s.elastic.co/v1",
            kind="Elasticsearch",
            metadata=backend_meta(ES_NAME),
            spec=self.elasticsearch_spec(),
            opts=pulumi.ResourceOptions.merge(
                after_operator,
                pulumi.ResourceOptions(
                    depends_on=[self.operator, self.service_account, tls_secret, collector_secret, roles_secret, *tracing_users]
                ),
            ),
        )
        self.kibana = k8s.apiextensions.CustomResource(
            f"{name}-kibana",
            api_version="kibana.k8s.elastic.co/v1",
            kind="Kibana",
            metadata=backend_meta(KIBANA_NAME),
            spec={
                "version": ELASTIC_STACK_VERSION,
                "count": 2 if platform.is_prod else 1,
                "elasticsearchRef": {"name": ES_NAME},
                "config": {
                    "xpack.actions.preconfigured": kibana_preconfigured_connectors(),
                    # Kibana's usage collection (on by default) is what sends the ECK operator's telemetry too; both off.
                    "telemetry.optIn": False,
                    "telemetry.allowChangingOptInStatus": False,
                },
                "podTemplate": {
                    "spec": {
                        "automountServiceAccountToken": False,
                        "containers": [{"name": "kibana", "resources": self.sizing.kibana_resources}],
                    }
                },
            },
            opts=pulumi.ResourceOptions.merge(after_operator, pulumi.ResourceOptions(depends_on=[self.operator, self.elasticsearch])),
        )
        self.setup_job = es_setup_job(
            name,
            setup_documents(
                store.cloud,
                store.id,
                args.store.bucket_name,
                self.retention_days,
                self.index_replicas,
                data_events_trail(args.platform.environment, store.id),
                TraceSetup(args.tracing.query_url, RetentionPlan.of(platform).daily_index_delete_days) if args.tracing else None,
            ),
            self.in_namespace,
            # Kibana comes after Elasticsearch: the Job needs both (it retries while they start).
            self.kibana,
        )
        # What components/alerts/component.py needs to reach Kibana's API.
        self.kibana_url = KIBANA_URL
        self.kibana_ca_secret = KIBANA_CA_SECRET
        self.elastic_user_secret = ES_ELASTIC_USER_SECRET

        self.endpoint = BackendEndpoint(
            store=store.id,
            kind="elk",
            host=self.external_host() or service_dns[1],
            port=ES_HTTP_PORT,
            path="",
            ca_pem=ca_pem,
            username=COLLECTOR_USER,
            password=self.writer_password,
            tenants=tuple(c.id for c in platform.clusters_of(store)),
            index_prefix=ES_INDEX_PREFIX,
            credentials_secret=ELASTICSEARCH_COLLECTOR_SECRET,
        )
        self.register_outputs(
            {"host": self.endpoint.host, "port": self.endpoint.port, "ca_pem": ca_pem, "retention_days": self.retention_days}
        )

    def _jaeger_user(self) -> k8s.core.v1.Secret:
        password = self.password("jaeger")
        return self.basic_auth_secret(JAEGER_ES_USER_SECRET, "jaeger-credentials", JAEGER_USER, password.result, roles=JAEGER_ES_ROLE)

    def elasticsearch_spec(self) -> dict[str, Any]:
        args = self.args
        config: dict[str, Any] = {
            # Without mmap, Elasticsearch needs no privileged sysctl init container (restricted Pod Security).
            "node.store.allow_mmap": False,
        }
        container: dict[str, Any] = {
            "name": "elasticsearch",
            "resources": self.sizing.resources,
        }
        pod_spec: dict[str, Any] = {
            "serviceAccountName": self.service_account_ref.name,
            "automountServiceAccountToken": False,
            "containers": [container],
        }
        if args.store_config.cloud == "aws":
            config["s3.client.default.endpoint"] = f"s3.{args.store.region}.amazonaws.com"
            # repository-s3 reads the IRSA token only from inside the config directory (its security policy).
            token_dir = "/usr/share/elasticsearch/config/repository-s3"
            container["env"] = [
                {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": f"{token_dir}/aws-web-identity-token-file"},
                {"name": "AWS_ROLE_ARN", "value": args.store.identity},
            ]
            container["volumeMounts"] = [{"name": "aws-iam-token", "mountPath": token_dir, "readOnly": True}]
            pod_spec["volumes"] = [
                {
                    "name": "aws-iam-token",
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "audience": "sts.amazonaws.com",
                                    "expirationSeconds": 86400,
                                    "path": "aws-web-identity-token-file",
                                }
                            }
                        ]
                    },
                }
            ]
        return {
            "version": ELASTIC_STACK_VERSION,
            "http": {
                # HTTP TLS with the store's ingest certificate (ECK keeps TLS on unless told otherwise; it is not).
                "tls": {"certificate": {"secretName": ELASTICSEARCH_HTTP_TLS_SECRET}},
                "service": {
                    "metadata": {"annotations": self.load_balancer_annotations()},
                    "spec": {"type": service_type(self.exposed)},
                },
            },
            "auth": {
                "roles": [{"secretName": ELASTICSEARCH_ROLES_SECRET}],
                "fileRealm": [
                    {"secretName": ELASTICSEARCH_COLLECTOR_SECRET},
                    *([{"secretName": JAEGER_ES_USER_SECRET}] if args.tracing else []),
                ],
            },
            "nodeSets": [
                {
                    "name": "default",
                    "count": self.nodes,
                    "config": config,
                    "podTemplate": {"spec": pod_spec},
                    "volumeClaimTemplates": [
                        {
                            "metadata": {"name": "elasticsearch-data"},
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": f"{self.sizing.data_volume_gi}Gi"}},
                            },
                        }
                    ],
                }
            ],
        }
