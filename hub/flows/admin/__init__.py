from hub.flows.admin import deliveries, flows, runs

__all__ = ["deliveries", "flows", "runs"]
