"""Recovering the planted effects: from the truth frame, and from the stored rows.

``ols_cluster`` is ordinary least squares with cluster-robust (CR1) standard errors, in
numpy only; ``latent_design`` writes the demo's model formula out as columns of a truth
frame; ``stored_gas_frame`` turns the stored rows (GAS scores, contacts, network
snapshots, organisations) into one row per GAS score with the predictors as the stored
data show them, so that the planted effects can be looked for where an analyst would.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd


def ols_cluster(
    frame: pd.DataFrame, columns: dict[str, np.ndarray], y: str, cluster: str
) -> tuple[dict[str, float], dict[str, float]]:
    """OLS of ``frame[y]`` on ``columns``; estimates and CR1 standard errors by name."""
    X = np.column_stack([np.asarray(v, dtype=float) for v in columns.values()])
    yv = frame[y].to_numpy(dtype=float)
    beta, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ beta
    groups = frame[cluster].astype("category").cat.codes.to_numpy()
    n_groups = int(groups.max()) + 1
    scores = np.zeros((n_groups, X.shape[1]))
    np.add.at(scores, groups, X * resid[:, None])
    bread = np.linalg.inv(X.T @ X)
    n, p = X.shape
    cov = bread @ (scores.T @ scores) @ bread * n_groups / (n_groups - 1) * (n - 1) / (n - p)
    names = list(columns)
    return (
        dict(zip(names, beta.tolist(), strict=True)),
        dict(zip(names, np.sqrt(np.diag(cov)).tolist(), strict=True)),
    )


def latent_design(f: pd.DataFrame) -> dict[str, np.ndarray]:
    """``truth.MODEL_FORMULA``'s fixed part as columns of a truth frame."""
    t = f["time"].to_numpy()
    sb, net, out = f["sb_c"].to_numpy(), f["net0_c"].to_numpy(), f["out_c"].to_numpy()
    frail, pol, vid = f["frail"].to_numpy(), f["policy_c"].to_numpy(), f["video_c"].to_numpy()
    return {
        "intercept": np.ones(len(f)),
        "net0": net,
        "frail": frail,
        "sb": sb,
        "out": out,
        "policy": pol,
        "video": vid,
        "sb:net0": sb * net,
        "out:frail": out * frail,
        "time": t,
        "time:sb": t * sb,
        "time:sb:net0": t * sb * net,
        "time:net0": t * net,
        "time:out": t * out,
        "time:out:frail": t * out * frail,
        "time:frail": t * frail,
        "time:policy": t * pol,
        "time:video": t * vid,
    }


def stored_gas_frame() -> pd.DataFrame:
    """One row per stored GAS score with the predictors as the stored rows show them.

    Columns: pseudonym, professional, years (since the goal was set), gain (level minus
    baseline), sb and out (the client's share of contacts with the strengths-based and
    outreach principles), video (share of video among phone and video contacts; 0.5 when
    there were none), net0 (informal members in the first snapshot), frail, policy.
    """
    from werkplaats.casework.models import (
        Contact,
        GoalScore,
        NetworkMember,
        NetworkSnapshot,
        Trajectory,
    )

    traj = pd.DataFrame(
        list(
            Trajectory.objects.values_list(
                "pk",
                "client__pseudonym",
                "lead_professional__username",
                "team__organisation__strengths_based_policy",
            )
        ),
        columns=["trajectory", "pseudonym", "professional", "policy"],
    ).set_index("trajectory")
    frail_ids = set(
        Trajectory.target_groups.through.objects.filter(
            targetgroup__code="frail-elderly"
        ).values_list("trajectory_id", flat=True)
    )
    traj["frail"] = [int(t in frail_ids) for t in traj.index]

    flags: dict[str, set[int]] = defaultdict(set)
    for contact, code in Contact.principles.through.objects.filter(
        workingprinciple__code__in=["strengths-based", "outreach"]
    ).values_list("contact_id", "workingprinciple__code"):
        flags[code].add(contact)
    contacts = pd.DataFrame(
        list(Contact.objects.values_list("pk", "trajectory_id", "mode")),
        columns=["contact", "trajectory", "mode"],
    )
    contacts["sb"] = contacts["contact"].isin(flags["strengths-based"])
    contacts["out"] = contacts["contact"].isin(flags["outreach"])
    shares = contacts.groupby("trajectory")[["sb", "out"]].mean()
    remote = contacts[contacts["mode"].isin(["phone", "video"])]
    video = (remote["mode"] == "video").groupby(remote["trajectory"]).mean()
    traj = traj.join(shares)
    traj["video"] = video.reindex(traj.index).fillna(0.5)

    # The intake network: informal members in each trajectory's first snapshot (0 if none).
    first = (
        pd.DataFrame(
            list(NetworkSnapshot.objects.values_list("pk", "trajectory_id", "date")),
            columns=["snapshot", "trajectory", "date"],
        )
        .sort_values(["trajectory", "date"])
        .drop_duplicates("trajectory")
    )
    informal = pd.Series(
        list(NetworkMember.objects.filter(formal=False).values_list("snapshot_id", flat=True)),
        dtype="int64",
    ).value_counts()
    net0 = pd.Series(
        informal.reindex(first["snapshot"]).fillna(0).to_numpy(), index=first["trajectory"]
    )
    traj["net0"] = net0.reindex(traj.index).fillna(0)

    scores = pd.DataFrame(
        list(
            GoalScore.objects.values_list(
                "goal__trajectory_id", "goal__created", "goal__baseline", "date", "level"
            )
        ),
        columns=["trajectory", "created", "baseline", "date", "level"],
    )
    scores["years"] = (
        pd.to_datetime(scores["date"]) - pd.to_datetime(scores["created"])
    ).dt.days / 365.25
    scores["gain"] = scores["level"] - scores["baseline"]
    out = scores.join(traj, on="trajectory")
    return out[
        [
            "pseudonym",
            "professional",
            "years",
            "gain",
            "sb",
            "out",
            "video",
            "net0",
            "frail",
            "policy",
        ]
    ].reset_index(drop=True)


def gas_design(f: pd.DataFrame) -> dict[str, np.ndarray]:
    """GAS gain ~ years * (sb_c * net0_c + out_c * frail + policy_c + video_c), no intercept
    term beyond a constant: a goal's gain at the moment it is set is 0 by construction."""
    from werkplaats.demo.truth import CENTRES

    t = f["years"].to_numpy()
    sb = f["sb"].to_numpy() - CENTRES["sb"]
    net = f["net0"].to_numpy() - CENTRES["net0"]
    out = f["out"].to_numpy() - CENTRES["out"]
    pol = f["policy"].to_numpy() - CENTRES["policy"]
    vid = f["video"].to_numpy() - CENTRES["video"]
    frail = f["frail"].to_numpy()
    return {
        "constant": np.ones(len(f)),
        "years": t,
        "years:sb": t * sb,
        "years:sb:net0": t * sb * net,
        "years:net0": t * net,
        "years:out": t * out,
        "years:out:frail": t * out * frail,
        "years:frail": t * frail,
        "years:policy": t * pol,
        "years:video": t * vid,
    }
