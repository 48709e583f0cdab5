"""preflight: offline policy preview and SOC 2 evidence for Pulumi Python programs."""
