"""An EKS cluster, a kubeconfig built from its computed outputs, a Kubernetes provider from that kubeconfig and a Helm
release installed through it: the usual EKS idiom."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

role = aws.iam.Role(
    "cluster",
    assume_role_policy=aws.iam.get_policy_document(
        statements=[{"actions": ["sts:AssumeRole"], "principals": [{"type": "Service", "identifiers": ["eks.amazonaws.com"]}]}]
    ).json,
)
zones = aws.get_availability_zones(state="available")
subnets = [
    aws.ec2.Subnet(f"private-{i}", vpc_id="vpc-0123456789abcdef0", cidr_block=f"10.0.{i}.0/24", availability_zone=zone)
    for i, zone in enumerate(zones.names[:2])
]
cluster = aws.eks.Cluster("apps", role_arn=role.arn, vpc_config={"subnet_ids": [s.id for s in subnets]})


def kubeconfig(args: list[str]) -> str:
    name, endpoint, ca = args
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": ["eks", "get-token", "--cluster-name", name],
                        }
                    },
                }
            ],
        }
    )


config = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data).apply(kubeconfig)
provider = k8s.Provider("apps", kubeconfig=config)
ingress = k8s.helm.v3.Release(
    "ingress",
    chart="ingress-nginx",
    version="4.11.3",
    namespace="ingress",
    create_namespace=True,
    repository_opts={"repo": "https://kubernetes.github.io/ingress-nginx"},
    values={"controller": {"replicaCount": 2}},
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export("kubeconfig", pulumi.Output.secret(config))
pulumi.export("endpoint", cluster.endpoint)
pulumi.export("oidc_issuer", cluster.identities[0].oidcs[0].issuer)
pulumi.export("ingress_status", ingress.status.status)
