"""SQL database connector kind: see ``connector.SqlConnector``."""

from connectors.sql.connector import SqlConnector

__all__ = ["SqlConnector"]
