"""preflight: offline policy preview and SOC 2 evidence for Pulumi Python programs."""

__version__ = "0.1.0"
