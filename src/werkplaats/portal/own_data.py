"""Everything stored about one client, for the client's own download (right of access).

It spans casework (record, trajectories, goals, contacts, network), measurements (the
questionnaires), programme (consents) and stories (the stories told), so it lives in the
portal.
"""

from __future__ import annotations

from typing import Any

from werkplaats.casework.models import ALLIANCE_ITEMS, Client, Trajectory
from werkplaats.measurements.schedule import wave_words
from werkplaats.stats.definition import pick_text
from werkplaats.stats.scoring import score
from werkplaats.stories.models import Source


def own_data(client: Client) -> dict[str, Any]:
    identity = getattr(client, "identity", None)
    return {
        "pseudonym": client.pseudonym,
        "birth_year": client.birth_year,
        "language": client.language,
        "neighbourhood": str(client.neighbourhood) if client.neighbourhood else None,
        "identity": {"name": identity.name, "contact": identity.contact} if identity else None,
        "trajectories": [_trajectory(t) for t in _trajectories(client)],
        "consents": [
            {
                "purpose": c.purpose,
                "study": c.study.title if c.study else None,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in client.consents.select_related("study")
        ],
        "stories": _stories(client),
    }


def _trajectories(client: Client) -> Any:
    return client.trajectories.select_related("team", "method").prefetch_related(
        "target_groups",
        "goals__scores",
        "contacts__actors",
        "contacts__principles",
        "dilemmas",
        "network_snapshots__members",
        "assessments__answers",
        "assessments__instrument",
        "assessments__version",
    )


def _trajectory(t: Trajectory) -> dict[str, Any]:
    return {
        "start": t.start.isoformat(),
        "end": t.end.isoformat() if t.end else None,
        "status": t.status,
        "team": t.team.name,
        "method": t.method.name if t.method else None,
        "target_groups": [g.code for g in t.target_groups.all()],
        "request_for_help": t.request_for_help,
        "goals": [
            {
                "text": g.text,
                "levels": dict(g.level_descriptions()),
                "baseline": g.baseline,
                "scores": [{"date": s.date.isoformat(), "level": s.level} for s in g.scores.all()],
            }
            for g in t.goals.all()
        ],
        "contacts": [
            {
                "date": c.date.isoformat(),
                "mode": c.mode,
                "minutes": c.duration_minutes,
                "present": [a.code for a in c.actors.all()],
                "working_principles": [p.code for p in c.principles.all()],
                "alliance": {name: getattr(c, name) for name, _label in ALLIANCE_ITEMS},
                "note": c.note,
            }
            for c in t.contacts.all()
        ],
        "dilemmas": [
            {
                "date": d.date.isoformat(),
                "tension": d.tension,
                "description": d.description,
                "values_at_stake": d.values_at_stake,
                "options_weighed": d.options_weighed,
                "choice": d.choice,
                "reasons": d.reasons,
                "moral_case_deliberation": d.moral_case_deliberation,
            }
            for d in t.dilemmas.all()
        ],
        "network": [
            {
                "date": s.date.isoformat(),
                "people": [
                    {
                        "label": m.label,
                        "relation": m.relation,
                        "formal": m.formal,
                        "closeness": m.closeness,
                        "support_given": m.support_given,
                        "support_received": m.support_received,
                    }
                    for m in s.members.all()
                ],
            }
            for s in t.network_snapshots.all()
        ],
        "questionnaires": [
            {
                "instrument": a.instrument.slug,
                "informant": a.informant,
                "wave": a.wave,
                "wave_date": a.wave_date.isoformat(),
                "status": a.status,
                "answers": {ans.item_id: ans.value for ans in a.answers.all()},
            }
            for a in t.assessments.all()
        ],
    }


def _stories(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "title": s.title,
            "text": s.text,
            "told_on": s.told_on.isoformat() if s.told_on else None,
            "research_consent_at": s.research_consent_at.isoformat()
            if s.research_consent_at
            else None,
            "withdrawn_at": s.withdrawn_at.isoformat() if s.withdrawn_at else None,
        }
        for s in Source.objects.filter(teller_client=client)
    ]


def readable(client: Client, language: str) -> dict[str, Any]:
    """The same data as ``own_data``, in words a client reads: for the page and the PDF.

    Codes become their labels, answers their option text, and a questionnaire's score
    is given with its range and its band ("21 of 28, quite a lot of grip").
    """
    trajectories = []
    for t in _trajectories(client):
        questionnaires = []
        for a in sorted(t.assessments.all(), key=lambda a: a.wave_date):
            definition = a.version.parsed
            answers = {ans.item_id: ans.value for ans in a.answers.all()}
            rows = []
            for item in definition.items:
                value = answers.get(item.id)
                label = next(
                    (pick_text(o.label, language) for o in item.options if o.value == value),
                    None,
                )
                rows.append(
                    {
                        "question": definition.item_text(item.id, a.informant, language),
                        "answer": label if label is not None else value,
                    }
                )
            result = None
            scale = definition.primary_scale
            if a.complete and scale is not None:
                value = score(definition, answers).get(scale.id)
                if value is not None:
                    band = scale.band_for(value)
                    result = {
                        "value": value,
                        "top": definition.scale_range(scale)[1],
                        "band": pick_text(band.label, language) if band else None,
                    }
            questionnaires.append(
                {
                    "title": definition.client_title(language),
                    "when": wave_words(a.wave),
                    "date": a.wave_date,
                    "informant": a.get_informant_display(),
                    "complete": a.complete,
                    "rows": rows,
                    "result": result,
                }
            )
        trajectories.append(
            {
                "trajectory": t,
                "goals": [(g, list(g.scores.all())) for g in t.goals.all()],
                "contacts": list(t.contacts.all()),
                "network": list(t.network_snapshots.all()),
                "questionnaires": questionnaires,
            }
        )
    return {
        "client": client,
        "identity": getattr(client, "identity", None),
        "trajectories": trajectories,
        "consents": list(client.consents.select_related("study")),
        "stories": list(Source.objects.filter(teller_client=client)),
    }
