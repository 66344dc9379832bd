"""A workplace that is not the demo: its own instrument, moderators and planted effects.

:func:`write_history` writes what an organisation would bring: a REDCap data dictionary of
its own questionnaire (*Veerkracht kort*, six items 0-10, scale ``total`` = their mean) and
a history directory (clients, trajectories, contacts, measurements, consents) in the
format of ``werkplaats import history``. Nothing here uses the demo's generator.

The planted model (time in years since the trajectory started; ``age_c`` and ``out_c``
centred at the means over trajectories, as the report centres them)::

    total = 5.0 + 0.03*age_c - 0.6*other + v0[prof] + u0[client]
          + time * (0.9 + 2.0*out_c + 1.2*out_c*other + v1[prof] + u1[client]) + e

with ``other`` = speaks another language than Dutch at home and ``out_c`` the realised
share of the trajectory's contacts with the working principle *outreach*. Each item is
the latent total plus noise, rounded and kept in 0-10, so the mean of the six items
carries the planted effects on the scale's own units.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from werkplaats.insight.history.checks import REQUIRED

# The tables this workplace brings, with the importer's own columns (no networks, no waves).
COLUMNS = {
    name: REQUIRED[name]
    for name in ("clients", "trajectories", "contacts", "measurements", "consents")
}

INSTRUMENT_FORM = "veerkracht_kort"
ITEMS = [f"vk{i}" for i in range(1, 7)]
WAVES = [("intake", 0), ("m03", 3), ("m06", 6), ("m09", 9), ("m12", 12)]
EFFECTS = {
    "intercept": 5.0,
    "age": 0.03,
    "other": -0.6,
    "time": 0.9,
    "time:out": 2.0,
    "time:out:other": 1.2,
    "time:age": 0.0,
    "time:other": 0.0,
    "out": 0.0,
    "out:other": 0.0,
}
SDS = {"u0": 0.7, "u1": 0.35, "v0": 0.25, "v1": 0.2, "e": 0.45, "item": 0.5}


@dataclass
class Written:
    dictionary: Path
    directory: Path
    professionals: list[str]
    teams: list[str]
    centres: dict[str, float]


def dictionary_csv() -> str:
    header = [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
        "Choices, Calculations, OR Slider Labels",
    ]
    rows = [header]
    choices = " | ".join(f"{v}, {v}" for v in range(11))
    labels = [
        "Ik kom weer op de been als het tegenzit",
        "Ik weet bij wie ik terecht kan",
        "Ik kan mijn dag indelen",
        "Ik heb vertrouwen in de toekomst",
        "Ik kan om hulp vragen",
        "Ik voel me thuis in mijn buurt",
    ]
    for item, label in zip(ITEMS, labels, strict=True):
        rows.append([item, INSTRUMENT_FORM, "", "radio", label, choices])
    rows.append(
        [
            "score_total",
            INSTRUMENT_FORM,
            "",
            "calc",
            "Veerkracht (gemiddelde)",
            f"mean({','.join(f'[{i}]' for i in ITEMS)})",
        ]
    )
    out = []
    for r in rows:
        out.append(",".join(f'"{c}"' if ("," in c or " " in c) else c for c in r))
    return "\n".join(out) + "\n"


def write_history(
    folder: Path, *, instrument: str, study: int, clients: int = 600, seed: int = 7
) -> Written:
    """Write the dictionary and the history directory; return where and the true centres."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    dictionary = folder / "veerkracht_dictionary.csv"
    dictionary.write_text(dictionary_csv(), encoding="utf-8")
    hist = folder / "history"
    hist.mkdir(exist_ok=True)
    n_prof, teams = 20, ["Noord", "Oost", "West"]
    professionals = [f"vk_prof{p:02d}" for p in range(n_prof)]
    prof_team = [teams[p % len(teams)] for p in range(n_prof)]
    prof = rng.integers(0, n_prof, clients)
    v0 = rng.normal(0, SDS["v0"], n_prof)
    v1 = rng.normal(0, SDS["v1"], n_prof)
    u0 = rng.normal(0, SDS["u0"], clients)
    u1 = rng.normal(0, SDS["u1"], clients)
    other = (rng.random(clients) < 0.3).astype(int)
    birth = rng.integers(1940, 2004, clients)
    start = [dt.date(2023, 1, 2) + dt.timedelta(days=int(d)) for d in rng.integers(0, 300, clients)]
    age = np.array([s.year - b for s, b in zip(start, birth, strict=True)], dtype=float)
    # outreach exposure differs per professional and per client; the realised share counts
    p_out = np.clip(rng.beta(2, 3, n_prof)[prof] + rng.normal(0, 0.1, clients), 0.02, 0.98)
    n_contacts = rng.integers(8, 16, clients)
    contacts = []
    realised = np.zeros(clients)
    for i in range(clients):
        flags = rng.random(n_contacts[i]) < p_out[i]
        realised[i] = flags.mean()
        days = np.sort(rng.integers(0, 360, n_contacts[i]))
        for d, f in zip(days, flags, strict=True):
            contacts.append((i, start[i] + dt.timedelta(days=int(d)), bool(f)))
    centres = {"age_at_start": float(age.mean()), "share_outreach": float(realised.mean())}
    age_c = age - centres["age_at_start"]
    out_c = realised - centres["share_outreach"]
    e = EFFECTS
    level = e["intercept"] + e["age"] * age_c + e["other"] * other + v0[prof] + u0
    slope = e["time"] + e["time:out"] * out_c + e["time:out:other"] * out_c * other + v1[prof] + u1
    files = {
        name: open(hist / f"{name}.csv", "w", newline="", encoding="utf-8") for name in COLUMNS
    }
    try:
        # The importer's own column lists (history.checks.REQUIRED): rows are written by
        # name, so a column the importer adds or reorders cannot slip past this generator.
        out = {name: csv.DictWriter(fh, fieldnames=COLUMNS[name]) for name, fh in files.items()}
        for w in out.values():
            w.writeheader()
        for i in range(clients):
            out["clients"].writerow(
                {
                    "client_ref": f"k{i:04d}",
                    "birth_year": int(birth[i]),
                    "language": "Turks" if other[i] else "Nederlands",
                    "neighbourhood": "",
                }
            )
            out["trajectories"].writerow(
                {
                    "trajectory_ref": f"t{i:04d}",
                    "client_ref": f"k{i:04d}",
                    "professional": professionals[prof[i]],
                    "team": prof_team[prof[i]],
                    "start": start[i].isoformat(),
                    "end": "",
                    "status": "open",
                    "target_groups": "",
                    "method": "",
                }
            )
        for i, day, flag in contacts:
            out["contacts"].writerow(
                {
                    "trajectory_ref": f"t{i:04d}",
                    "date": day.isoformat(),
                    "duration_minutes": 45,
                    "mode": "home_visit",
                    "principles": "outreach;strengths-based" if flag else "strengths-based",
                    "actors": "client",
                }
            )
        for i in range(clients):
            for wave, months in WAVES:
                if wave != "intake" and rng.random() < 0.12:
                    continue  # a missed wave
                day = start[i] + dt.timedelta(
                    days=int(round(months * 30.44)) + int(rng.integers(0, 6))
                )
                t = (day - start[i]).days / 365.25
                latent = level[i] + slope[i] * t + rng.normal(0, SDS["e"])
                for item in ITEMS:
                    value = int(np.clip(np.rint(latent + rng.normal(0, SDS["item"])), 0, 10))
                    out["measurements"].writerow(
                        {
                            "trajectory_ref": f"t{i:04d}",
                            "instrument": instrument,
                            "informant": "client",
                            "wave": wave,
                            "wave_date": day.isoformat(),
                            "item_id": item,
                            "value": value,
                        }
                    )
        for i in range(clients):
            out["consents"].writerow(
                {
                    "client_ref": f"k{i:04d}",
                    "purpose": study,
                    "given": start[i].isoformat(),
                    "withdrawn": "",
                }
            )
    finally:
        for fh in files.values():
            fh.close()
    return Written(dictionary, hist, professionals, teams, centres)
