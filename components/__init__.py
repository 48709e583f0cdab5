"""logmesh's Pulumi components, one module per concern."""
