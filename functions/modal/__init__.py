"""Modal deployment: backends shared across containers, the per-call agent, spawning, draining."""
