"""The tables each kept figure of the policy pages reads (``core.data_versions``): a write
to any of them makes the page compute its figures again.

The municipality's outcomes (``municipality.municipality_tables``) read the trajectories of the
municipality's clients (their neighbourhood, start and target groups), the completed
questionnaires of those trajectories (their stored scores follow from the questionnaire and
its completion time: ``outcomes.store_scores``), the outcome measures the organisations
working there chose (or their most answered questionnaire), the instruments' versions (label,
range, direction) and the names of neighbourhoods, municipalities and target groups. The
policy figures (``figures.figures``) read the open trajectories of the clients of each
neighbourhood.
"""

from __future__ import annotations

from django.db import models


def municipality_outcomes() -> list[type[models.Model]]:
    from werkplaats.casework.models import Client, TargetGroup, Trajectory
    from werkplaats.insight.models import OutcomeMeasure
    from werkplaats.instruments.models import Instrument, InstrumentVersion
    from werkplaats.measurements.models import Assessment
    from werkplaats.partnership.models import Municipality, Neighbourhood, Organisation, Team

    return [
        Trajectory,
        Trajectory.target_groups.through,
        Client,
        TargetGroup,
        Assessment,
        OutcomeMeasure,
        Organisation,
        Team,
        Instrument,
        InstrumentVersion,
        Municipality,
        Neighbourhood,
    ]


def policy_figures() -> list[type[models.Model]]:
    from werkplaats.casework.models import Client, Trajectory
    from werkplaats.partnership.models import Municipality, Neighbourhood

    return [Trajectory, Client, Municipality, Neighbourhood]
