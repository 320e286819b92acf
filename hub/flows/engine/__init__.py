"""The engine: runs a flow page by page (fetch, map, validate, match, merge, deliver)."""
