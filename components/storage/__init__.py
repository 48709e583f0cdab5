"""Central log stores: one per cloud/region, the same shape on AWS and GCP (see interface.py)."""
