"""Programs and lookups the component tests share (no tests here)."""
