"""An application cluster on GKE with a workload, as an app team writes it: GKE's built-in Cloud Logging (the default)
collects container logs; no log platform runs here. Meets SOC 2: the collector and gap-alert controls do not apply."""

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

cluster = gcp.container.Cluster("apps", project="acme-apps", location="europe-west1", initial_node_count=1, deletion_protection=True)
kubeconfig = cluster.name.apply(lambda n: f"apiVersion: v1\nkind: Config\nclusters: [{{name: {n}}}]\n")
provider = k8s.Provider("apps", kubeconfig=kubeconfig)
k8s.apps.v1.Deployment(
    "web",
    metadata={"name": "web", "namespace": "default"},
    spec={
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "nginxinc/nginx-unprivileged:1.27",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                        "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True},
                    }
                ]
            },
        },
    },
    opts=pulumi.ResourceOptions(provider=provider),
)
k8s.core.v1.Service(
    "web",
    metadata={"name": "web", "namespace": "default"},
    spec={"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    opts=pulumi.ResourceOptions(provider=provider),
)
