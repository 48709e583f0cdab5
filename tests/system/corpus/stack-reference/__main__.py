"""An application stack that reads its network (VPC, subnets, environment name) from another stack through a
StackReference. Flaw: its log bucket is a bare aws.s3.Bucket, with no encryption, public access block or versioning.
(The security group opens SSH to the world too, but no policy of the SOC 2 log pack judges security groups.)"""

import pulumi
import pulumi_aws as aws

network = pulumi.StackReference("acme/network/dev")
vpc_id = network.require_output("vpcId")
subnet_ids = network.require_output("privateSubnetIds")
group = aws.ec2.SecurityGroup(
    "app",
    vpc_id=vpc_id,
    ingress=[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}],
)
instance = aws.ec2.Instance(
    "app",
    ami="ami-0123456789abcdef0",
    instance_type="t3.small",
    subnet_id=subnet_ids.apply(lambda ids: ids[0]),
    vpc_security_group_ids=[group.id],
)
logs = aws.s3.Bucket("app-logs", bucket=network.get_output("environment").apply(lambda env: f"acme-app-logs-{env}"))
pulumi.export("instance_id", instance.id)
pulumi.export("logs_bucket", logs.bucket)
