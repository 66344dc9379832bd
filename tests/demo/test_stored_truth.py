"""The stored rows carry the planted truth: networks, principles, modes and GAS scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from werkplaats.casework.models import Contact, GoalScore, NetworkMember
from werkplaats.demo.generator import build_demo
from werkplaats.demo.truth import truth_frame

pytestmark = pytest.mark.django_db

N, SEED = 400, 6


@pytest.fixture
def built():
    build_demo(N, seed=SEED)
    return truth_frame(N, SEED)


def test_snapshots_hold_exactly_the_planted_informal_network(built):
    rows = NetworkMember.objects.filter(formal=False).values_list(
        "snapshot__trajectory__client__pseudonym", "snapshot__date"
    )
    stored = pd.Series(1, index=pd.MultiIndex.from_tuples(list(rows))).groupby(level=[0, 1]).sum()
    truth = built.assign(day=built["date"].dt.date).set_index(["pseudonym", "day"])
    expected = truth["informal_network"]
    got = stored.reindex(expected.index, fill_value=0)
    assert (got.to_numpy() == expected.to_numpy()).all()


def _per_client_share(values) -> pd.Series:
    frame = pd.DataFrame(list(values), columns=["pseudonym", "flag"])
    return frame.groupby("pseudonym")["flag"].mean()


def test_contacts_principles_follow_the_exposures(built):
    client_truth = built.groupby("pseudonym")[["sb", "out", "video"]].first()
    contacts = Contact.objects.values_list("pk", "trajectory__client__pseudonym", "mode")
    sb_ids = set(
        Contact.principles.through.objects.filter(
            workingprinciple__code="strengths-based"
        ).values_list("contact_id", flat=True)
    )
    out_ids = set(
        Contact.principles.through.objects.filter(workingprinciple__code="outreach").values_list(
            "contact_id", flat=True
        )
    )
    rows = list(contacts)
    sb = _per_client_share((p, pk in sb_ids) for pk, p, _m in rows)
    out = _per_client_share((p, pk in out_ids) for pk, p, _m in rows)
    video = _per_client_share((p, m == "video") for _pk, p, m in rows if m in ("phone", "video"))
    assert np.corrcoef(sb, client_truth.loc[sb.index, "sb"])[0, 1] > 0.6
    assert np.corrcoef(out, client_truth.loc[out.index, "out"])[0, 1] > 0.6
    assert np.corrcoef(video, client_truth.loc[video.index, "video"])[0, 1] > 0.3


def test_gas_scores_follow_the_latent_change(built):
    scores = pd.DataFrame(
        list(
            GoalScore.objects.values_list(
                "goal_id",
                "goal__trajectory__client__pseudonym",
                "goal__created",
                "goal__baseline",
                "date",
                "level",
            )
        ),
        columns=["goal", "pseudonym", "created", "baseline", "date", "level"],
    )
    latent = built.assign(day=built["date"].dt.date).set_index(["pseudonym", "day"])["empowerment"]
    now = latent.reindex(pd.MultiIndex.from_arrays([scores.pseudonym, scores.date])).to_numpy()
    then = latent.reindex(pd.MultiIndex.from_arrays([scores.pseudonym, scores.created])).to_numpy()
    change = now - then
    gain = (scores.level - scores.baseline).to_numpy()
    assert not np.isnan(change).any()
    assert np.corrcoef(change, gain)[0, 1] > 0.5
    assert set(scores.level.unique()) <= {-2, -1, 0, 1, 2}
    assert len(set(scores.level.unique())) == 5  # all five levels are used


def test_the_stored_gas_frame_has_one_row_per_score_and_the_stored_predictors(built):
    from werkplaats.demo.recovery import stored_gas_frame

    frame = stored_gas_frame()
    assert len(frame) == GoalScore.objects.count()
    assert frame[["sb", "out", "video"]].stack().between(0, 1).all()
    assert (frame["years"] > 0).all()
    assert frame["policy"].between(1, 5).all()
    # The stored intake network is the planted one.
    truth_net0 = built.groupby("pseudonym")["net0"].first()
    stored = frame.groupby("pseudonym")["net0"].first()
    assert (stored.to_numpy() == truth_net0.loc[stored.index].to_numpy()).all()
