"""Bounded readers for every file preflight reads: text (limits, encoding), YAML, JSON, and the shapes they must have."""
