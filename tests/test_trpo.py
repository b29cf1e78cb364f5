"""Reference tests of the TRPO pieces."""

import numpy as np
import torch

from gail_fast.nets import GaussianPolicy, RunningNorm
from gail_fast.trpo import conjugate_gradient, fisher_vector_product, gae, get_flat, line_search


def test_conjugate_gradient_matches_a_direct_solve():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(12, 12))
    a = torch.as_tensor(m @ m.T + 12 * np.eye(12))
    b = torch.as_tensor(rng.normal(size=12))
    x = conjugate_gradient(lambda v: a @ v, b, iters=12, tol=1e-28)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a.numpy(), b.numpy()), rtol=1e-8, atol=1e-10)


def test_fisher_vector_product_matches_the_explicit_fisher_matrix():
    """F v against the explicit Hessian of KL(pi_fixed || pi_theta) at theta, a tiny net."""
    torch.manual_seed(0)
    policy = GaussianPolicy(3, 2, hidden=(4,)).double()
    obs = torch.randn(5, 3, dtype=torch.float64)
    names = [name for name, _ in policy.named_parameters()]
    shapes = [p.shape for p in policy.parameters()]
    flat = get_flat(list(policy.parameters()))
    with torch.no_grad():
        fixed = policy(obs)
        fixed = torch.distributions.Normal(fixed.mean.clone(), fixed.stddev.clone())

    def kl(theta):
        chunks = torch.split(theta, [s.numel() for s in shapes])
        params = {n: c.view(s) for n, c, s in zip(names, chunks, shapes)}
        dist = torch.func.functional_call(policy, params, (obs,))
        return torch.distributions.kl_divergence(fixed, dist).sum(-1).mean()

    hessian = torch.autograd.functional.hessian(kl, flat.clone())
    assert hessian.abs().max() > 1e-3  # the reference is not trivially zero
    v = torch.randn(len(flat), dtype=torch.float64)
    fvp = fisher_vector_product(policy, obs, v, damping=0.0)
    np.testing.assert_allclose(fvp.detach().numpy(), (hessian @ v).numpy(), rtol=1e-7, atol=1e-10)
    damped = fisher_vector_product(policy, obs, v, damping=0.1)
    np.testing.assert_allclose(damped.detach().numpy(), (hessian @ v + 0.1 * v).numpy(), rtol=1e-7, atol=1e-10)


def test_gae_by_hand():
    """One env, 4 steps: a truncation at t=1 (bootstraps), a termination at t=3 (does not)."""
    gamma, lam = 0.9, 0.8
    r = np.array([[1.0], [2.0], [3.0], [4.0]])
    v = np.array([[0.5], [0.6], [0.7], [0.8]])
    v_next = np.array([[0.6], [9.0], [0.8], [123.0]])  # 9.0: V(final obs) of the truncated step
    term = np.array([[0.0], [0.0], [0.0], [1.0]])
    ended = np.array([[0.0], [1.0], [0.0], [1.0]])
    adv, ret = gae(r, v, v_next, term, ended, gamma, lam)
    d3 = 4.0 - 0.8
    d2 = 3.0 + 0.9 * 0.8 - 0.7
    d1 = 2.0 + 0.9 * 9.0 - 0.6
    d0 = 1.0 + 0.9 * 0.6 - 0.5
    a3, a2 = d3, d2 + gamma * lam * d3
    a1 = d1  # the next step belongs to another episode
    a0 = d0 + gamma * lam * a1
    np.testing.assert_allclose(adv[:, 0], [a0, a1, a2, a3])
    np.testing.assert_allclose(ret, adv + v)


def test_line_search_refuses_a_bad_step():
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    params = [w]
    old = get_flat(params)
    surrogate = lambda: -float((w.detach() ** 2).sum())  # noqa: E731  maximised at 0
    kl = lambda: float(((w.detach() - old) ** 2).sum())  # noqa: E731
    # a step away from the optimum never improves: the old parameters come back
    ok, fraction, tries = line_search(params, old, torch.tensor([1.0, 1.0]), surrogate, kl, 10.0, 5)
    assert (ok, fraction, tries) == (False, 0.0, 5)
    torch.testing.assert_close(w.data, old)
    # a good direction that overshoots the KL bound is shrunk until it fits
    ok, fraction, _ = line_search(params, old, torch.tensor([-1.0, -2.0]), surrogate, kl, 0.5, 10)
    assert ok and fraction == 0.25
    assert kl() <= 0.5 and surrogate() > -5.0


def test_running_norm_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(1000, 4))
    norm = RunningNorm(4)
    for chunk in np.array_split(x, 7):
        norm.update(torch.as_tensor(chunk))
    np.testing.assert_allclose(norm.mean.numpy(), x.mean(0), rtol=1e-10)
    np.testing.assert_allclose(norm.var.numpy(), x.var(0), rtol=1e-10)
    z = norm(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-8)


def test_policy_log_prob_is_gaussian():
    policy = GaussianPolicy(3, 2, hidden=(8,), log_std=-0.3)
    obs = torch.randn(6, 3)
    action, log_prob = policy.act(obs)
    mu = policy.mean(obs)
    sigma = np.exp(-0.3)
    expect = (-0.5 * ((action - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)).sum(-1)
    torch.testing.assert_close(log_prob, expect, rtol=1e-5, atol=1e-5)
    mean_action, _ = policy.act(obs, deterministic=True)
    torch.testing.assert_close(mean_action, mu.detach())
