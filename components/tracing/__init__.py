"""Distributed tracing: Jaeger v2 beside each store's backend, the meshes' span export, and their correlation."""
