"""Write binary_growth.csv, the simulated growth data with a binary outcome.

Run from the repository root:
    PYTHONPATH=src python tests/stats/multilevel/reference/make_binary_growth.py
The CSV is committed; make_glmm_reference.R and the tests both read it.
"""

from pathlib import Path

from werkplaats.stats.multilevel.simulate import simulate_binary_growth

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    d = simulate_binary_growth(
        6000, seed=20240602, clients_per_professional=20, professionals_per_team=5
    )
    d["x"] = d["x"].round(4)
    d.to_csv(HERE / "binary_growth.csv", index=False)
    print(
        len(d),
        "rows;",
        d["client"].nunique(),
        "clients;",
        d["professional"].nunique(),
        "professionals",
    )
