"""Applying a ``Document`` to the database, one concept per module, inside the importer's transaction."""
