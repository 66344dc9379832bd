"""Write growth.csv, the simulated four-level growth data used by the reference tests.

Run from the repository root:  PYTHONPATH=src python tests/stats/multilevel/reference/make_growth.py
The CSV is committed; both R (make_reference.R) and the tests read that file, so the
rounding below only fixes what both sides see.
"""

from pathlib import Path

from werkplaats.stats.multilevel.simulate import simulate_growth

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    d = simulate_growth(8000, seed=20240601, clients_per_professional=20, professionals_per_team=5)
    d["y"] = d["y"].round(4)
    d["x"] = d["x"].round(4)
    d.to_csv(HERE / "growth.csv", index=False)
    print(
        len(d),
        "rows;",
        d["client"].nunique(),
        "clients;",
        d["professional"].nunique(),
        "professionals;",
        d["team"].nunique(),
        "teams",
    )
