"""Simulated longitudinal data for tests and benchmarks.

The design mirrors a typical social-work outcome study: clients measured in
repeated waves, clients served by professionals, professionals working in
teams.  The data are used by the reference tests (exported to CSV and fitted
in R with lme4) and by ``bench/multilevel.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_growth", "simulate_binary_growth"]

# Probability that a client is still observed at each wave (0..4): nobody drops
# out before the second wave, about 15% are gone by the last one.
_RETENTION = np.array([1.0, 1.0, 0.95, 0.90, 0.85])


def simulate_growth(
    n_obs: int,
    seed: int = 20240601,
    clients_per_professional: int = 100,
    professionals_per_team: int = 10,
    waves: int = 5,
) -> pd.DataFrame:
    """Simulate the four-level growth design.

    The model behind the data is
    ``y ~ time * x + (time | client) + (1 | professional) + (1 | team)``:
    waves ``time = 0..waves-1`` nested in clients, clients nested in
    professionals, professionals nested in teams.  ``x`` is a standardised
    client-level covariate.  Drop-out is monotone: a client who misses a wave
    misses all later waves, about 15% by the last wave.

    Parameters
    ----------
    n_obs : int
        Approximate number of observations wanted; the number of clients is
        chosen so that the expected number of rows is ``n_obs``.
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed gives the
        same data on every platform.
    clients_per_professional, professionals_per_team : int
        Sizes of the nesting levels.
    waves : int
        Number of measurement occasions (at most 5 use the built-in
        retention curve; more waves keep 85% retention).

    Returns
    -------
    pandas.DataFrame
        Columns ``y, time, x, client, professional, team``; the three
        grouping columns hold integer identifiers.

    Examples
    --------
    >>> d = simulate_growth(2000, seed=1)
    >>> sorted(d.columns)
    ['client', 'professional', 'team', 'time', 'x', 'y']
    >>> bool(d.groupby("client").size().max() <= 5)
    True
    """
    if n_obs < 10:
        raise ValueError("n_obs must be at least 10")
    rng = np.random.default_rng(seed)
    retention = np.concatenate([_RETENTION, np.full(max(0, waves - 5), 0.85)])[:waves]
    n_clients = max(2, int(round(n_obs / retention.sum())))
    n_prof = max(2, -(-n_clients // clients_per_professional))
    n_team = max(2, -(-n_prof // professionals_per_team))

    client_prof = np.arange(n_clients) % n_prof
    prof_team = np.arange(n_prof) % n_team
    x = rng.standard_normal(n_clients)
    # Correlated client intercepts and slopes: sd 4 and 1, correlation -0.3.
    cov = np.array([[16.0, -0.3 * 4.0 * 1.0], [-0.3 * 4.0 * 1.0, 1.0]])
    b_client = rng.multivariate_normal(np.zeros(2), cov, size=n_clients)
    b_prof = rng.normal(0.0, 2.0, n_prof)
    b_team = rng.normal(0.0, 1.5, n_team)

    # Monotone drop-out: the last wave a client is seen is drawn from the
    # retention curve.
    u = rng.random(n_clients)
    n_waves = (u[:, None] < retention[None, :]).sum(axis=1)
    client = np.repeat(np.arange(n_clients), n_waves)
    time = np.concatenate([np.arange(k) for k in n_waves]).astype(float)
    prof = client_prof[client]
    team = prof_team[prof]
    xc = x[client]
    mu = (
        20.0
        - 1.0 * time
        + 2.0 * xc
        - 0.5 * time * xc
        + b_client[client, 0]
        + b_client[client, 1] * time
        + b_prof[prof]
        + b_team[team]
    )
    y = mu + rng.normal(0.0, 3.0, client.size)
    return pd.DataFrame(
        {
            "y": y,
            "time": time,
            "x": xc,
            "client": client,
            "professional": prof,
            "team": team,
        }
    )


def simulate_binary_growth(
    n_obs: int,
    seed: int = 20240602,
    clients_per_professional: int = 100,
    professionals_per_team: int = 10,
    waves: int = 5,
) -> pd.DataFrame:
    """Simulate the growth design with a binary outcome (goal attained or not).

    The model behind the data is the logistic mixed model
    ``attained ~ time * x + (time | client) + (1 | professional) + (1 | team)``
    with ``logit P(attained) = -1 + 0.4 time + 0.5 x - 0.1 time x`` plus
    correlated client intercepts and slopes (sd 1.2 and 0.4, correlation
    -0.3), professional intercepts (sd 0.5) and team intercepts (sd 0.3).
    Waves, nesting and drop-out are those of :func:`simulate_growth`.

    Examples
    --------
    >>> d = simulate_binary_growth(2000, seed=1)
    >>> sorted(d.columns)
    ['attained', 'client', 'professional', 'team', 'time', 'x']
    >>> sorted(d["attained"].unique().tolist())
    [0, 1]
    """
    if n_obs < 10:
        raise ValueError("n_obs must be at least 10")
    rng = np.random.default_rng(seed)
    retention = np.concatenate([_RETENTION, np.full(max(0, waves - 5), 0.85)])[:waves]
    n_clients = max(2, int(round(n_obs / retention.sum())))
    n_prof = max(2, -(-n_clients // clients_per_professional))
    n_team = max(2, -(-n_prof // professionals_per_team))
    client_prof = np.arange(n_clients) % n_prof
    prof_team = np.arange(n_prof) % n_team
    x = rng.standard_normal(n_clients)
    cov = np.array([[1.44, -0.3 * 1.2 * 0.4], [-0.3 * 1.2 * 0.4, 0.16]])
    b_client = rng.multivariate_normal(np.zeros(2), cov, size=n_clients)
    b_prof = rng.normal(0.0, 0.5, n_prof)
    b_team = rng.normal(0.0, 0.3, n_team)
    u = rng.random(n_clients)
    n_waves = (u[:, None] < retention[None, :]).sum(axis=1)
    client = np.repeat(np.arange(n_clients), n_waves)
    time = np.concatenate([np.arange(k) for k in n_waves]).astype(float)
    prof = client_prof[client]
    team = prof_team[prof]
    xc = x[client]
    eta = (
        -1.0
        + 0.4 * time
        + 0.5 * xc
        - 0.1 * time * xc
        + b_client[client, 0]
        + b_client[client, 1] * time
        + b_prof[prof]
        + b_team[team]
    )
    attained = (rng.random(client.size) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)
    return pd.DataFrame(
        {
            "attained": attained,
            "time": time,
            "x": xc,
            "client": client,
            "professional": prof,
            "team": team,
        }
    )
