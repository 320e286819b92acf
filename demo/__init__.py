"""Demo material for Integration Hub: the bundled sample systems and their data."""
