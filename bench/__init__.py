"""`make bench`: the engine's speed and memory against local HTTP servers, next to a script with no hub logic.

``bench.run`` drives everything; ``bench.engine`` and ``bench.floor`` are the measured worker processes;
``bench.servers`` holds the source and target they talk to on 127.0.0.1.
"""
