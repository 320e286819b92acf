"""CSV files connector kind: see ``connector.CsvFilesConnector``."""

from connectors.csv_files.connector import CsvFilesConnector

__all__ = ["CsvFilesConnector"]
