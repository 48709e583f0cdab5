"""The stack configuration: its schema, the checks across keys, and loading a stack with both."""
