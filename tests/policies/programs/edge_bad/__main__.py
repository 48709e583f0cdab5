"""Flaws written the ways other teams write them (not as logmesh's components do), one resource each, named for the
flaw: NotPrincipal, managed policies on the role itself, tab-separated Fluent Bit config, Loki structuredConfig,
Elasticsearch settings half dotted and half nested."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

ACCOUNT = "123456789012"
cluster = k8s.Provider("edge-cluster", context="edge")
on_cluster = pulumi.ResourceOptions(provider=cluster)
FLUENT_BIT = {"chart": "fluent-bit", "version": "0.58.1", "repository_opts": {"repo": "https://fluent.github.io/helm-charts"}}
LOKI = {"chart": "loki", "version": "18.11.0", "repository_opts": {"repo": "https://grafana-community.github.io/helm-charts"}}

# Allow with NotPrincipal: everyone except the named role may decrypt.
aws.kms.Key(
    "key-not-principal",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllButOps",
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ],
        }
    ),
)

# A restricting condition key whose value is a wildcard restricts nothing.
aws.kms.Key(
    "key-wildcard-condition",
    enable_key_rotation=True,
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AnyAccount",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                    "Condition": {"StringLike": {"aws:PrincipalAccount": "*"}},
                }
            ],
        }
    ),
)

# AdministratorAccess attached through the role's own managed_policy_arns, not a RolePolicyAttachment.
aws.iam.Role(
    "role-admin-managed-arn",
    managed_policy_arns=["arn:aws:iam::aws:policy/AdministratorAccess"],
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}],
        }
    ),
)

# A `*` hidden among named resources.
aws.iam.Policy(
    "policy-star-in-list",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:a", "*"]}
            ],
        }
    ),
)

# Classic Fluent Bit config indented and separated with tabs: TLS on, verification off.
k8s.helm.v3.Release(
    "fluent-bit-tabs-no-verify",
    namespace="collectors",
    values={
        "config": {"outputs": "[OUTPUT]\n\tName\tloki\n\tHost\tloki.example.com\n\ttls\tOn\n\ttls.verify\tOff\n"},
        "securityContext": {"runAsUser": 10001},
    },
    **FLUENT_BIT,
    opts=on_cluster,
)

# loki.structuredConfig takes precedence over loki.auth_enabled in the chart's rendered config.
k8s.helm.v3.Release(
    "loki-structured-auth-disabled",
    namespace="logging",
    values={
        "loki": {"structuredConfig": {"auth_enabled": False}},
        "gateway": {"enabled": True, "basicAuth": {"enabled": True, "existingSecret": "htpasswd"}},
    },
    **LOKI,
    opts=on_cluster,
)

# Elasticsearch reads `xpack: {security.enabled: false}` exactly like `xpack.security.enabled: false`.
k8s.apiextensions.CustomResource(
    "es-security-half-dotted",
    api_version="elasticsearch.k8s.elastic.co/v1",
    kind="Elasticsearch",
    metadata={"namespace": "logging"},
    spec={"version": "8.15.0", "nodeSets": [{"name": "default", "count": 1, "config": {"xpack": {"security.enabled": False}}}]},
    opts=on_cluster,
)

# Helm values are untyped: a user id given as a template string proves nothing (and must not crash the policy).
k8s.helm.v3.Release(
    "fluent-bit-templated-user",
    namespace="collectors",
    values={
        "config": {"outputs": "[OUTPUT]\n    Name loki\n    Host loki.example.com\n    tls On\n"},
        "securityContext": {"runAsUser": "{{ .Values.uid }}"},
    },
    **FLUENT_BIT,
    opts=on_cluster,
)

# RBAC wildcards each on their own: every resource with a read verb, and every verb on one resource.
k8s.rbac.v1.ClusterRole("reads-every-resource", rules=[{"api_groups": [""], "resources": ["*"], "verbs": ["get", "list"]}], opts=on_cluster)
k8s.rbac.v1.Role(
    "every-verb-on-pods",
    metadata={"namespace": "collectors"},
    rules=[{"api_groups": [""], "resources": ["pods"], "verbs": ["*"]}],
    opts=on_cluster,
)
