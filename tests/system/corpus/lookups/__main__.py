"""AMI and DNS-zone lookups feeding resources: the newest Amazon Linux AMI for an instance, the zone's id for a record."""

import pulumi
import pulumi_aws as aws

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"], filters=[{"name": "name", "values": ["al2023-ami-*-x86_64"]}])
zone = aws.route53.get_zone(name="example.com", private_zone=False)
zones = aws.get_availability_zones(state="available")
web = aws.ec2.Instance(
    "web",
    ami=ami.id,
    instance_type="t3.micro",
    availability_zone=zones.names[0],
    metadata_options={"http_tokens": "required"},
    tags={"Name": "web", "Image": ami.name},
)
aws.route53.Record("www", zone_id=zone.zone_id, name=f"www.{zone.name}", type="A", ttl=300, records=[web.public_ip])
pulumi.export("ami", ami.id)
pulumi.export("zone_id", zone.zone_id)
pulumi.export("url", f"https://www.{zone.name}")
