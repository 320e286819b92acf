from __future__ import annotations

import sqlite3

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self) -> int:  # type: ignore[override]
        with self.connection.temporary_connection() as cursor:
            limit = cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(999, min(int(limit), 32_766))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
