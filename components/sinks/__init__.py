"""Sinks outside the platform: third-party destinations the collectors send logs to besides their store."""
