"""logmesh: SOC 2-ready log aggregation for service meshes, one stack per environment."""

import pulumi

from components.config.loading import load_config
from components.platform import LogPlatform

config = load_config()
platform = LogPlatform("logmesh", config)
pulumi.export("summary", platform.summary)
