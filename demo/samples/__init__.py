"""Small fake business systems (CRM, ERP, billing) served over HTTP on loopback for the demo and tests.

Plain standard-library Python, no Django. Start them with ``python -m demo.samples`` or, in tests,
``start_sample_systems(load_or_create_secrets(path))``. The dirty seed data is described in ``seeds/*.py``.
"""

from demo.samples.runner import DEFAULT_PORTS, SampleSystems, start_sample_systems
from demo.samples.secrets import default_secrets_path, load_or_create_secrets

__all__ = [
    "DEFAULT_PORTS",
    "SampleSystems",
    "default_secrets_path",
    "load_or_create_secrets",
    "start_sample_systems",
]
