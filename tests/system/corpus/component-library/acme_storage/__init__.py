"""A small component library the program imports: a log bucket with its key and its S3 side resources."""

from acme_storage.log_bucket import LogBucket, LogBucketArgs

__all__ = ["LogBucket", "LogBucketArgs"]
