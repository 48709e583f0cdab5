"""Views and helpers the policies share: values, IAM documents, S3/GCS bucket views, Kubernetes joins, config readers, types."""
