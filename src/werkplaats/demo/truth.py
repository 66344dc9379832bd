"""The demo workplace's structure and its planted truth, without Django.

``draw_world(clients, seed)`` draws everything the planted effects depend on: the
partnership (municipalities, neighbourhoods, practice organisations with their
strengths-based policy, teams, professionals and their working style) and, per client,
the trajectory dates, target groups, exposures (strengths-based and outreach work,
the share of remote contacts by video), the informal network at intake, random effects,
and the latent empowerment at every wave (about every three months).

``truth_frame(clients, seed)`` returns that latent as a tidy DataFrame, one row per
client per wave. ``generator.build_demo`` stores data that carry the same values:
GAS scores are the latent change thresholded plus noise, network snapshots have exactly
``informal_network`` informal members, and contacts use the working principles with the
client's exposure probabilities.

The model (time in years since the trajectory started; ``_c`` marks a centred predictor,
see ``CENTRES``)::

    empowerment = b0 + b_net0*net_c + b_frail*frail + v0[prof] + u0[client]
                + time * ( g0 + g_sb*sb_c + g_sb_net*sb_c*net_c
                           + g_out*out_c + g_out_frail*out_c*frail
                           + g_frail*frail + g_policy*policy_c + g_video*video_c
                           + v1[prof] + u1[client] )
                + e

Every value, with its scale, is in ``EFFECTS`` and ``SDS`` and in docs/demo-workplace.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from werkplaats.demo import names

DEMO_TODAY = date(2026, 11, 1)
WINDOW_DAYS = 730
WINDOW_START = DEMO_TODAY - timedelta(days=WINDOW_DAYS)  # 2024-11-01
WAVE_DAYS = 91
MAX_WAVES = 9
MIN_CLIENTS = 20

TARGET_GROUPS = ["multi-problem-household", "frail-elderly", "young-adults", "debt"]
TARGET_GROUP_SHARES = [0.35, 0.25, 0.18, 0.22]
PRINCIPLES = [
    "facilitator",
    "generalist",
    "bridge-builder",
    "integral",
    "strengths-based",
    "in-the-neighbourhood",
    "outreach",
]

# Fixed effects. Scale: the latent empowerment has residual SD 0.35 and a between-client
# SD at intake of about 0.85; "per year" means per year since the trajectory started.
EFFECTS: dict[str, float] = {
    "intercept": 0.0,  # latent at intake for a reference client (all centred predictors 0, not frail)
    "net0": 0.08,  # intake level, per informal network member above 3.5
    "frail": -0.30,  # intake level, frail elderly vs others
    "time": 0.30,  # growth per year, reference client
    "time:sb": 0.40,  # growth per year, per unit of strengths-based exposure (share 0 -> 1)
    "time:sb:net0": 0.10,  # (1) extra growth per year per unit sb per informal member
    "time:net0": 0.0,  # NULL: network size alone does not change growth
    "time:out": 0.10,  # growth per year per unit outreach exposure, not frail
    "time:out:frail": 0.60,  # (2) extra outreach effect for frail elderly
    "time:frail": -0.10,  # frail elderly grow slower
    "time:policy": 0.08,  # (3) per point of the organisation's strengths-based policy (1-5)
    "time:video": 0.0,  # NULL: share of remote contacts by video rather than phone
}
# Random effects and residual (standard deviations on the latent scale).
SDS: dict[str, float] = {
    "client_intercept": 0.80,  # (5) u0
    "client_slope": 0.25,  # (5) u1, per year; uncorrelated with u0
    "professional_intercept": 0.20,  # (4) v0
    "professional_slope": 0.12,  # (4) v1, per year; uncorrelated with v0
    "residual": 0.35,  # e, per wave
}
CENTRES: dict[str, float] = {"sb": 0.5, "net0": 3.5, "out": 0.3, "policy": 3.0, "video": 0.5}
# Network growth planted on the snapshots: informal members added per year.
NETWORK_EFFECTS: dict[str, float] = {"growth": 0.5, "growth:sb": 2.0, "noise_sd": 0.6}

CLIENTS_PER_PROFESSIONAL = 70  # over the two years; about 30 open at any moment
TEAM_SIZE = 8


@dataclass
class World:
    """Everything drawn from (clients, seed) that the truth and the stored rows share."""

    clients: int
    seed: int
    # partnership
    neighbourhoods: list[tuple[int, str]]  # (municipality index, name)
    practice_names: list[str]
    practice_policy: np.ndarray  # 1..5 per practice organisation
    team_names: list[str]
    team_org: np.ndarray
    team_municipality: np.ndarray
    team_neighbourhoods: list[list[int]]
    prof_team: np.ndarray
    prof_usernames: list[str]
    prof_names: list[tuple[str, str]]
    prof_style: np.ndarray  # professionals x principles: probability of each principle
    prof_alliance: np.ndarray
    prof_v0: np.ndarray
    prof_v1: np.ndarray
    manager_usernames: list[str]
    manager_names: list[tuple[str, str]]
    # clients
    pseudonym: list[str]
    prof: np.ndarray
    team: np.ndarray
    org: np.ndarray
    neighbourhood: np.ndarray
    target_group: np.ndarray  # index into TARGET_GROUPS: the primary target group
    debt_too: np.ndarray  # bool: debt problems as a second target group
    birth_year: np.ndarray
    language: np.ndarray  # index into names.LANGUAGES
    start: np.ndarray  # day offset from WINDOW_START
    end: np.ndarray  # day offset of the end, or -1 while open
    status: np.ndarray  # "open" / "paused" / "closed"
    sb: np.ndarray
    out: np.ndarray
    video: np.ndarray
    net0: np.ndarray
    formal: np.ndarray  # formal network members (constant)
    u0: np.ndarray
    u1: np.ndarray
    # waves: clients x MAX_WAVES, valid where wave_mask
    wave_mask: np.ndarray
    wave_day: np.ndarray  # day offset from WINDOW_START
    wave_time: np.ndarray  # years since start
    empowerment: np.ndarray
    informal: np.ndarray  # informal network members at each wave
    persona_client: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_prof(self) -> int:
        return len(self.prof_team)

    @property
    def n_teams(self) -> int:
        return len(self.team_names)

    def day(self, offset: int) -> date:
        return WINDOW_START + timedelta(days=int(offset))


def _pseudonyms(rng: np.random.Generator, n: int) -> list[str]:
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
    codes = rng.integers(0, 32**8, size=n, dtype=np.int64)
    while len(np.unique(codes)) < n:  # astronomically rare; redraw the duplicates
        _, first = np.unique(codes, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        codes[dup] = rng.integers(0, 32**8, size=len(dup), dtype=np.int64)
    digits = np.stack([(codes >> (5 * k)) & 31 for k in range(7, -1, -1)], axis=1)
    chars = alphabet[digits]
    return [f"{''.join(row[:4])}-{''.join(row[4:])}" for row in chars]


def _person_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    first = rng.integers(0, len(names.FIRST_NAMES), n)
    last = rng.integers(0, len(names.LAST_NAMES), n)
    return [(names.FIRST_NAMES[f], names.LAST_NAMES[la]) for f, la in zip(first, last, strict=True)]


def sizes(clients: int) -> tuple[int, int, int]:
    """Professionals, teams and practice organisations for a number of clients."""
    n_prof = max(12, round(clients / CLIENTS_PER_PROFESSIONAL))
    n_teams = max(2, round(n_prof / TEAM_SIZE))
    n_orgs = min(n_teams, max(3, round(n_teams / 3)))
    return n_prof, n_teams, n_orgs


def draw_world(clients: int, seed: int) -> World:
    """Draw the demo's structure and latent truth; same (clients, seed), same world."""
    if clients < MIN_CLIENTS:
        raise ValueError(f"The demo needs at least {MIN_CLIENTS} clients; got {clients}.")
    rng = np.random.default_rng([seed, 0])
    n = clients
    n_prof, n_teams, n_orgs = sizes(clients)

    # --- partnership -----------------------------------------------------------------
    neighbourhoods = [
        (m, nb) for m, (_mn, _code, nbs) in enumerate(names.MUNICIPALITIES) for nb in nbs
    ]
    nb_by_muni = [
        [i for i, (m, _nb) in enumerate(neighbourhoods) if m == mi]
        for mi in range(len(names.MUNICIPALITIES))
    ]
    practice_names = [
        names.PRACTICE_ORGANISATIONS[i % len(names.PRACTICE_ORGANISATIONS)]
        + (
            ""
            if i < len(names.PRACTICE_ORGANISATIONS)
            else f" {i // len(names.PRACTICE_ORGANISATIONS) + 1}"
        )
        for i in range(n_orgs)
    ]
    # The first three are fixed so that even a small demo spans the policy range.
    policy = rng.integers(1, 6, n_orgs)
    policy[: min(3, n_orgs)] = [4, 2, 5][: min(3, n_orgs)]
    team_org = np.arange(n_teams) % n_orgs
    team_muni = team_org % len(names.MUNICIPALITIES)
    team_nbs: list[list[int]] = []
    team_names: list[str] = []
    seen: dict[tuple[int, str], int] = {}
    for t in range(n_teams):
        pool = nb_by_muni[team_muni[t]]
        k = int(rng.integers(1, 4))
        chosen = sorted(rng.choice(pool, size=min(k, len(pool)), replace=False).tolist())
        team_nbs.append(chosen)
        base = f"Wijkteam {neighbourhoods[chosen[0]][1]}"
        key = (int(team_org[t]), base)
        seen[key] = seen.get(key, 0) + 1
        team_names.append(base if seen[key] == 1 else f"{base} {seen[key]}")
    # Professionals split evenly over teams (sizes differ by at most one).
    prof_team = np.sort(np.arange(n_prof) % n_teams)
    prof_usernames = ["professional"] + [f"sw-{i:04d}" for i in range(1, n_prof)]
    prof_names = _person_names(rng, n_prof)
    pol_c = policy[team_org[prof_team]] - CENTRES["policy"]
    style = np.empty((n_prof, len(PRINCIPLES)))
    style[:] = rng.beta(2, 3, size=(n_prof, len(PRINCIPLES)))
    # Strengths-based style leans on the organisation's policy; outreach does not.
    style[:, PRINCIPLES.index("strengths-based")] = np.clip(
        0.5 + 0.05 * pol_c + rng.normal(0, 0.15, n_prof), 0.1, 0.9
    )
    style[:, PRINCIPLES.index("outreach")] = np.clip(
        CENTRES["out"] + rng.normal(0, 0.15, n_prof), 0.03, 0.85
    )
    prof_alliance = rng.normal(0, 0.3, n_prof)
    prof_v0 = rng.normal(0, SDS["professional_intercept"], n_prof)
    prof_v1 = rng.normal(0, SDS["professional_slope"], n_prof)
    manager_usernames = ["teammanager"] + [f"tm-{i:03d}" for i in range(1, n_teams)]
    manager_names = _person_names(rng, n_teams)

    # --- clients ---------------------------------------------------------------------
    pseudonym = _pseudonyms(rng, n)
    prof = rng.integers(0, n_prof, n)
    prof[0] = 0  # the persona client belongs to the persona professional
    team = prof_team[prof]
    org = team_org[team]
    nb_count = np.array([len(x) for x in team_nbs])
    nb_pick = (rng.random(n) * nb_count[team]).astype(int)
    neighbourhood = np.array([team_nbs[t][k] for t, k in zip(team, nb_pick, strict=True)])
    tg = rng.choice(len(TARGET_GROUPS), size=n, p=TARGET_GROUP_SHARES)
    mph, frail_i, young_i, debt_i = (TARGET_GROUPS.index(x) for x in TARGET_GROUPS)
    debt_too = ((tg == mph) & (rng.random(n) < 0.45)) | ((tg == young_i) & (rng.random(n) < 0.3))
    lo = np.array([1965, 1932, 1999, 1955])[tg]
    hi = np.array([1998, 1952, 2008, 2000])[tg]
    birth_year = lo + (rng.random(n) * (hi - lo + 1)).astype(int)
    lang_p = np.array([p for _l, p in names.LANGUAGES])
    language = rng.choice(len(names.LANGUAGES), size=n, p=lang_p / lang_p.sum())

    start = rng.integers(0, WINDOW_DAYS - 30, n)
    duration = np.clip(np.exp(rng.normal(np.log(300), 0.5, n)), 120, 720).astype(int)
    start[0], duration[0] = WINDOW_DAYS - 400, 720  # persona client: open, a year in
    end_raw = start + duration
    is_open = end_raw > WINDOW_DAYS
    paused = is_open & (rng.random(n) < 0.06)
    paused[0] = False
    status = np.where(is_open, np.where(paused, "paused", "open"), "closed")
    end = np.where(is_open, -1, end_raw)

    frail = (tg == frail_i).astype(float)
    sb = np.clip(
        style[prof, PRINCIPLES.index("strengths-based")] + rng.normal(0, 0.08, n), 0.05, 0.95
    )
    out = np.clip(style[prof, PRINCIPLES.index("outreach")] + rng.normal(0, 0.10, n), 0.02, 0.9)
    video = rng.beta(2, 2, n)
    lam = np.array([3.0, 2.5, 4.5, 3.5])[tg] * rng.gamma(4.0, 0.25, n)
    net0 = np.minimum(rng.poisson(lam), 15)
    net0[0] = max(net0[0], 4)  # the persona client has a network to show
    formal = 1 + np.minimum(rng.poisson(np.array([1.5, 1.2, 0.8, 1.0])[tg]), 4)
    u0 = rng.normal(0, SDS["client_intercept"], n)
    u1 = rng.normal(0, SDS["client_slope"], n)

    # --- waves -----------------------------------------------------------------------
    wave_index = np.arange(MAX_WAVES)
    jitter = rng.integers(-7, 8, size=(n, MAX_WAVES))
    jitter[:, 0] = 0
    offset = wave_index[None, :] * WAVE_DAYS + jitter
    last = np.where(is_open, WINDOW_DAYS, end_raw)
    wave_day = start[:, None] + offset
    wave_mask = wave_day <= last[:, None]
    wave_time = offset / 365.25

    e = EFFECTS
    sb_c = sb - CENTRES["sb"]
    net_c = net0 - CENTRES["net0"]
    out_c = out - CENTRES["out"]
    video_c = video - CENTRES["video"]
    policy_c = policy[org] - CENTRES["policy"]
    intercept = e["intercept"] + e["net0"] * net_c + e["frail"] * frail + prof_v0[prof] + u0
    slope = (
        e["time"]
        + e["time:sb"] * sb_c
        + e["time:sb:net0"] * sb_c * net_c
        + e["time:net0"] * net_c
        + e["time:out"] * out_c
        + e["time:out:frail"] * out_c * frail
        + e["time:frail"] * frail
        + e["time:policy"] * policy_c
        + e["time:video"] * video_c
        + prof_v1[prof]
        + u1
    )
    resid = rng.normal(0, SDS["residual"], size=(n, MAX_WAVES))
    empowerment = intercept[:, None] + slope[:, None] * wave_time + resid

    ne = NETWORK_EFFECTS
    growth = ne["growth"] + ne["growth:sb"] * sb_c
    informal = np.rint(
        net0[:, None]
        + growth[:, None] * wave_time
        + rng.normal(0, ne["noise_sd"], size=(n, MAX_WAVES))
    )
    informal[:, 0] = net0
    informal = np.clip(informal, 0, 25).astype(int)

    return World(
        clients=n,
        seed=seed,
        neighbourhoods=neighbourhoods,
        practice_names=practice_names,
        practice_policy=policy,
        team_names=team_names,
        team_org=team_org,
        team_municipality=team_muni,
        team_neighbourhoods=team_nbs,
        prof_team=prof_team,
        prof_usernames=prof_usernames,
        prof_names=prof_names,
        prof_style=style,
        prof_alliance=prof_alliance,
        prof_v0=prof_v0,
        prof_v1=prof_v1,
        manager_usernames=manager_usernames,
        manager_names=manager_names,
        pseudonym=pseudonym,
        prof=prof,
        team=team,
        org=org,
        neighbourhood=neighbourhood,
        target_group=tg,
        debt_too=debt_too,
        birth_year=birth_year,
        language=language,
        start=start,
        end=end,
        status=status,
        sb=sb,
        out=out,
        video=video,
        net0=net0,
        formal=formal,
        u0=u0,
        u1=u1,
        wave_mask=wave_mask,
        wave_day=wave_day,
        wave_time=wave_time,
        empowerment=empowerment,
        informal=informal,
        persona_client=0,
    )


def truth_frame(clients: int = 1500, seed: int = 1, world: World | None = None) -> pd.DataFrame:
    """One row per client per wave: the latent empowerment and every predictor.

    Columns: pseudonym, wave, date, time (years since the trajectory started),
    empowerment (the latent), informal_network, formal_network, the raw predictors
    (sb, out, video, net0, frail, policy, target_group), the centred ones used in the
    model (sb_c, net0_c, out_c, policy_c, video_c), the clusters (professional, team,
    organisation, municipality) and the true random effects (true_u0, true_u1,
    true_v0, true_v1).
    """
    w = world if world is not None else draw_world(clients, seed)
    ci, wi = np.nonzero(w.wave_mask)
    pol = w.practice_policy[w.org]
    frame = pd.DataFrame(
        {
            "pseudonym": np.asarray(w.pseudonym, dtype=object)[ci],
            "wave": wi,
            "date": pd.to_datetime(WINDOW_START) + pd.to_timedelta(w.wave_day[ci, wi], unit="D"),
            "time": w.wave_time[ci, wi],
            "empowerment": w.empowerment[ci, wi],
            "informal_network": w.informal[ci, wi],
            "formal_network": w.formal[ci],
            "sb": w.sb[ci],
            "out": w.out[ci],
            "video": w.video[ci],
            "net0": w.net0[ci],
            "frail": (w.target_group[ci] == TARGET_GROUPS.index("frail-elderly")).astype(int),
            "policy": pol[ci],
            "target_group": np.asarray(TARGET_GROUPS, dtype=object)[w.target_group[ci]],
            "status": w.status[ci],
            "professional": np.asarray(w.prof_usernames, dtype=object)[w.prof[ci]],
            "team": w.team[ci],
            "organisation": np.asarray(w.practice_names, dtype=object)[w.org[ci]],
            "municipality": w.team_municipality[w.team[ci]],
            "true_u0": w.u0[ci],
            "true_u1": w.u1[ci],
            "true_v0": w.prof_v0[w.prof[ci]],
            "true_v1": w.prof_v1[w.prof[ci]],
        }
    )
    frame["sb_c"] = frame["sb"] - CENTRES["sb"]
    frame["net0_c"] = frame["net0"] - CENTRES["net0"]
    frame["out_c"] = frame["out"] - CENTRES["out"]
    frame["policy_c"] = frame["policy"] - CENTRES["policy"]
    frame["video_c"] = frame["video"] - CENTRES["video"]
    return frame


MODEL_FORMULA = (
    "empowerment ~ time * (sb_c * net0_c + out_c * frail + policy_c + video_c)"
    " + (1 + time | pseudonym) + (1 + time | professional)"
)
