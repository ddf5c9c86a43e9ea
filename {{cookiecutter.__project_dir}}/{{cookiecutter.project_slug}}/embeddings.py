"""A stand-in for an embedding model, computed locally and deterministically.

Real projects call a model here; the example hashes words into a small
vector so the refresh task has real, repeatable work to do and the tests
need no network.
"""

import hashlib
import math
import re

DIMENSIONS = 16
WORD = re.compile(r"\w+")


def embed(text: str) -> list[float]:
    """A unit-length vector of DIMENSIONS floats for ``text`` (all zeros if it has no words)."""
    vector = [0.0] * DIMENSIONS
    for word in WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=2).digest()
        vector[digest[0] % DIMENSIONS] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    return [round(value / norm, 6) for value in vector] if norm else vector
