"""GCS bucket policies."""
