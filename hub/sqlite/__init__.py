"""SQLite, told how many parameters one statement may really carry.

Django 5.2 assumes SQLite's historical limit of 999 parameters and cuts every bulk insert or update into
chunks of a few dozen rows, so the engine's statements grow with the page size. Current SQLite builds
allow far more (250,000 on Debian 12); asking the connection keeps a page's writes to a few statements.
"""
