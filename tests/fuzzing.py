"""What the fuzz tests share: the example budget and the byte-level mutation of a file."""

import os

from hypothesis import HealthCheck, settings


def fuzz_settings(default_examples: int):
    """Hypothesis settings: `default_examples` in CI, GAIL_FAST_FUZZ_EXAMPLES for a long run."""
    examples = int(os.environ.get("GAIL_FAST_FUZZ_EXAMPLES", str(default_examples)))
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))


def mutate(data: bytes, edits) -> bytes:
    """`data` with each (kind, position, payload) edit applied: 0 deletes, 1 inserts, 2 overwrites."""
    out = bytearray(data)
    for kind, pos, payload in edits:
        pos = pos % (len(out) + 1)
        if kind == 0:
            del out[pos : pos + len(payload)]
        elif kind == 1:
            out[pos:pos] = payload
        else:
            out[pos : pos + len(payload)] = payload
    return bytes(out)
