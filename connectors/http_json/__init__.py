"""HTTP JSON API connector kind: see ``connector.HttpJsonConnector``."""

from connectors.http_json.connector import HttpJsonConnector

__all__ = ["HttpJsonConnector"]
