"""Plain-Python adapters to external systems. Nothing here imports Django."""
