import numpy as np
import pytest

NENV = 64
NTHREAD = 2
NSTEP = 25  # control steps per timed round


@pytest.fixture
def uniform_actions():
    """`(NSTEP, NENV, nact)` actions drawn uniformly over an environment's action space."""

    def draw(space, seed=0):
        rng = np.random.default_rng(seed)
        return rng.uniform(space.low, space.high, (NSTEP, NENV, space.shape[0]))

    return draw


def run_steps(benchmark, step, actions, rounds):
    """Times `step(actions[t])` over all t, once per round, and records env-steps per round."""

    def run():
        for a in actions:
            step(a)

    benchmark.extra_info["env_steps"] = actions.shape[0] * actions.shape[1]
    benchmark.pedantic(run, rounds=rounds, warmup_rounds=2, iterations=1)
