"""Fixed demo logins, one per role, each placed where that role makes sense."""

from __future__ import annotations

from typing import NamedTuple

PASSWORD = "werkplaats-demo"
EMAIL_DOMAIN = "demo.werkplaats.invalid"  # marks every user the demo makes


class Persona(NamedTuple):
    role: str
    description: str
    first_name: str
    last_name: str


PERSONAS: dict[str, Persona] = {
    "client": Persona(
        "client",
        "Client in an open trajectory of `professional`, with goals, GAS scores, contacts "
        "and a network map over several waves; consents to the cohort study.",
        "Fatima",
        "Haddou",
    ),
    "netwerklid": Persona(
        "network_member",
        "Sister of `client`; appears in the client's network map as 'Ans (zus)'.",
        "Ans",
        "Haddou",
    ),
    "professional": Persona(
        "professional",
        "Social worker in the first team of Welzijn Rivierstad, leading a caseload of "
        "demo trajectories (about 30 open).",
        "Sanne",
        "de Vries",
    ),
    "teammanager": Persona(
        "team_manager",
        "Team manager of `professional`'s team (Welzijn Rivierstad).",
        "Marco",
        "Jansen",
    ),
    "orgadmin": Persona(
        "org_admin",
        "Organisation admin of Welzijn Rivierstad: users and teams, no case content.",
        "Esther",
        "Bakker",
    ),
    "onderzoeker": Persona(
        "researcher",
        "Researcher at Kenniscentrum Sociaal Werk Rivierland, on the cohort study "
        "'Wat werkt voor wie?' (most clients consent) and the contact-log study.",
        "Priya",
        "Ramdin",
    ),
    "beleidsmaker": Persona(
        "policy_maker",
        "Policy maker at Gemeente Rivierstad: aggregate figures only.",
        "Willem",
        "van der Meer",
    ),
    "ervaringsdeskundige": Persona(
        "experience_expert",
        "Experience expert at Cliëntenraad Sociaal Domein Rivierstad, co-researcher "
        "in the lifeworld study.",
        "Joke",
        "Visser",
    ),
    "docent": Persona(
        "educator",
        "Lecturer at Hogeschool Rivierland, opleiding Social Work.",
        "Rachid",
        "El Amrani",
    ),
}


NO_PASSWORD = "(no password: the one-time link below)"


def persona_table() -> list[tuple[str, str, str]]:
    """(role, username, password) rows, in the order of PERSONAS.

    Network members never log in with a password: their row points to the one-time link
    the demo prints after the table (werkplaats.demo.links).
    """
    return [
        (p.role, username, NO_PASSWORD if p.role == "network_member" else PASSWORD)
        for username, p in PERSONAS.items()
    ]
