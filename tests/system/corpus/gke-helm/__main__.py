"""A GKE cluster, a kubeconfig built from its endpoint and CA certificate, a Kubernetes provider from it and a Helm
release. Flaws: the chart's values set the admin password as a literal env value, and an application ConfigMap holds a
database password in plain text."""

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

project = gcp.organizations.get_project()
cluster = gcp.container.Cluster("apps", location="europe-west1", initial_node_count=1, deletion_protection=False)


def kubeconfig(args: list[str]) -> str:
    name, endpoint, ca = args
    return f"""apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{endpoint}
    certificate-authority-data: {ca}
contexts:
- name: {name}
  context: {{cluster: {name}, user: {name}}}
current-context: {name}
users:
- name: {name}
  user:
    exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: gke-gcloud-auth-plugin}}
"""


config = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate).apply(kubeconfig)
provider = k8s.Provider("apps", kubeconfig=config)
k8s.helm.v3.Release(
    "grafana",
    chart="grafana",
    version="8.5.2",
    namespace="monitoring",
    create_namespace=True,
    repository_opts={"repo": "https://grafana.github.io/helm-charts"},
    values={"env": [{"name": "GF_SECURITY_ADMIN_PASSWORD", "value": "grafana-admin-2024"}], "persistence": {"enabled": True}},
    opts=pulumi.ResourceOptions(provider=provider),
)
k8s.core.v1.ConfigMap(
    "app-config",
    metadata={"namespace": "apps"},
    data={"app.yaml": "database:\n  host: db.internal\n  password: hunter2-in-plain-text\n"},
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("project_number", project.number)
pulumi.export("endpoint", cluster.endpoint)
