"""S3 bucket policies, and deletion protection of every log store (S3 and GCS buckets)."""
