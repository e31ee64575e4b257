"""Random streams for demo data. Everything random in the seed comes from here, so the same seed gives the
same data on every run and every machine."""

from __future__ import annotations

import random
import uuid

# Marks every row the seed writes (SourcedModel.source_system), so --reset removes demo data and nothing else.
DEMO_SOURCE = "urn:ourplan:demo"


def stream(seed: int, *keys: object) -> random.Random:
    """An independent stream for one purpose (one person, the practice...). random.Random hashes a str seed
    with SHA-512, so the stream does not depend on PYTHONHASHSEED, and person i's data depends only on
    (seed, i): seeding 300 people gives the first 300 of a 10,000-person seed."""
    return random.Random(":".join(str(k) for k in (seed, *keys)))


def uuid4(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from `rng` (uuid.uuid4 reads the OS entropy pool and would break determinism)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)
