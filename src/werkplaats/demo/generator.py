"""Build the synthetic demo workplace into the database.

``build_demo(clients, seed)`` stores the world that ``truth.draw_world`` draws, plus the
details that carry no planted effect (contacts' dates and modes, goal texts, network
member labels, dilemmas, consents), drawn from ``numpy.random.default_rng`` streams
seeded by ``seed`` alone. The partnership is written with ``bulk_create``; clients and
everything under them in chunks of 2,000 clients with ``executemany`` (see
``_Builder._insert``), so that memory stays flat and 200,000 clients fit a benchmark.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, reset_queries, transaction
from django.db.models import ProtectedError

from werkplaats.casework.models import (
    ActorKind,
    Client,
    ClientIdentity,
    Contact,
    Dilemma,
    Goal,
    GoalScore,
    Method,
    NetworkMember,
    NetworkSnapshot,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.context.models import ContextResponse
from werkplaats.core.bulk import optimize
from werkplaats.core.crypto import EncryptedTextField
from werkplaats.demo import dilemma_cases, names
from werkplaats.demo.links import address_network_members
from werkplaats.demo.methods_context import add_methods_and_context
from werkplaats.demo.personas import EMAIL_DOMAIN, PASSWORD, PERSONAS, persona_table
from werkplaats.demo.simulate import simulate_answers
from werkplaats.demo.truth import (
    PRINCIPLES,
    TARGET_GROUPS,
    WINDOW_DAYS,
    WINDOW_START,
    World,
    draw_world,
)
from werkplaats.insight.models import AnalysisPlan, ReportRun
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import (
    Answer,
    Assessment,
    Invitation,
    MeasurementPlan,
    OneTimeLink,
    PlannedInstrument,
)
from werkplaats.methods.models import FidelityAnswer, FidelityRecord
from werkplaats.partnership.models import (
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    Role,
    Team,
    User,
)
from werkplaats.programme.models import (
    Consent,
    Focus,
    Study,
    StudyParticipation,
    SubTheme,
    unique_study_slug,
)
from werkplaats.stories.models import SessionDilemma, SharedDilemma

CHUNK = 2000  # clients per chunk; part of the seed's meaning, so never change it lightly
BATCH = 2000  # rows per bulk_create batch (the partnership, studies)
EXECUTEMANY_ROWS = 20000  # rows per executemany call (everything under the clients)
# COPY on PostgreSQL; WERKPLAATS_DEMO_COPY=0 falls back to executemany (bench/demo_build.py
# compares the two on the same build).
USE_COPY = os.environ.get("WERKPLAATS_DEMO_COPY", "1") != "0"
UNUSABLE_PASSWORD = "!demo-account-without-password"
JOINED = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)

MODES = ["home_visit", "office", "phone", "video", "outreach", "group"]
MODE_MINUTES = [60, 45, 15, 30, 30, 90]
ACTORS = [
    "client",
    "informal-network",
    "health",
    "housing",
    "debt",
    "income",
    "education",
    "justice",
    "police",
]
# Probability that a sector is present at a contact, per target group (rows as TARGET_GROUPS).
SECTOR_P = np.array(
    [
        # health housing debt  income education justice police
        [0.10, 0.12, 0.15, 0.10, 0.12, 0.04, 0.03],  # multi-problem household
        [0.25, 0.06, 0.02, 0.02, 0.00, 0.00, 0.01],  # frail elderly
        [0.06, 0.10, 0.05, 0.12, 0.15, 0.03, 0.02],  # young adults
        [0.04, 0.05, 0.25, 0.15, 0.00, 0.00, 0.00],  # debt
    ]
)
METHOD_BY_GROUP = [
    ["Intensieve gezinsbegeleiding", "Krachtwerk", "Netwerkberaad"],
    ["Huisbezoek 75+", "Maatjesproject", "Krachtwerk"],
    ["Oplossingsgericht werken", "Krachtwerk", "Maatjesproject"],
    ["Oplossingsgericht werken", "Krachtwerk"],
]
SUPPORT = ["practical", "company", "advice", "emotional"]
# GAS measurement model (see docs/demo-workplace.md): levels per unit of latent change,
# a constant shift, and the SDs of a goal's own offset and of each review's noise.
GAS_SCALE, GAS_SHIFT, GAS_GOAL_SD, GAS_NOISE_SD = 3.0, 0.3, 0.4, 0.5
# Pearlin Mastery answers (see _measurements and docs/demo-workplace.md): the latent score
# is halved before simulate_answers, where the expected sum score is nearly linear in it.
PEARLIN_LATENT_SCALE = 0.5
PEARLIN_RESPONSE, PEARLIN_RESPONSE_OTHER = 0.9, 0.65  # Dutch at home / another language
PEARLIN_PROFESSIONAL_FRAIL = -0.3  # professionals rate frail elderly lower (latent units)
PEARLIN_NETWORK = 0.3  # a network member rates the client at intake (clients with one)

# Studies: the coverage matrix leaves sub-themes 2.4, 3.4 and 4.3 without a study.
STUDIES: list[dict[str, Any]] = [
    {
        "title": "Wat werkt voor wie? Empowerment in trajecten van kwetsbare burgers",
        "client_title": "Welke hulp werkt goed, en voor wie?",
        "client_title_en": "Which help works well, and for whom?",
        "question": "Welke werkingsprincipes versterken de empowerment van cliënten, voor wie, "
        "en in welke teams en organisaties?",
        "subthemes": ["1.1", "1.2", "2.3"],
        "foci": ["F1", "F2", "F3"],
        "design": "quantitative",
        "participation": "consulted",
        "phase": "data_collection",
        "orgs": [
            "@practice",
            "Kenniscentrum Sociaal Werk Rivierland",
            "Universiteit van Rivierland, vakgroep Sociaal Werk",
            "Gemeente Rivierstad",
            "Gemeente Heidedorp",
        ],
        "researchers": ["onderzoeker", "res-01", "res-02"],
    },
    {
        "title": "De zwarte doos open: werkingsprincipes in contactmomenten",
        "client_title": "Wat gebeurt er in de gesprekken met uw hulpverlener?",
        "client_title_en": "What happens in the talks with your social worker?",
        "question": "Welke werkingsprincipes gebruiken sociaal werkers in hun contacten, "
        "en hoe hangen die samen met de werkrelatie?",
        "subthemes": ["1.2", "2.2"],
        "foci": ["F1", "F3"],
        "design": "mixed",
        "participation": "advising",
        "phase": "analysis",
        "orgs": [
            "@practice:2",
            "Kenniscentrum Sociaal Werk Rivierland",
            "Beroepsgroep Sociaal Werk Rivierland",
        ],
        "researchers": ["onderzoeker", "res-03"],
    },
    {
        "title": "Ervaringskennis in wijkteams",
        "client_title": "Wat mensen zelf hebben meegemaakt, als hulp voor anderen",
        "client_title_en": "What people went through themselves, as help for others",
        "question": "Hoe krijgt ervaringskennis een plaats in het werk van wijkteams?",
        "subthemes": ["3.1", "4.1"],
        "foci": ["F2"],
        "design": "qualitative",
        "participation": "coproducing",
        "phase": "data_collection",
        "orgs": [
            "Cliëntenraad Sociaal Domein Rivierstad",
            "Ervaringsdeskundigen Collectief Heidedorp",
            "Universiteit van Rivierland, vakgroep Sociaal Werk",
            "@practice:1",
        ],
        "researchers": ["res-02"],
    },
    {
        "title": "Werkrelatie en dialoogsturing bij multiprobleemhuishoudens",
        "client_title": "Hoe u en uw hulpverlener samenwerken",
        "client_title_en": "How you and your social worker work together",
        "question": "Hoe ontwikkelt de werkrelatie zich in trajecten van huishoudens met "
        "meerdere problemen?",
        "subthemes": ["3.2"],
        "foci": ["F2"],
        "design": "mixed",
        "participation": "consulted",
        "phase": "data_collection",
        "orgs": ["@practice", "Universiteit van Rivierland, vakgroep Sociaal Werk"],
        "researchers": ["res-01"],
    },
    {
        "title": "Dilemma's in outreachend werken",
        "client_title": "Lastige keuzes in de hulp aan huis",
        "client_title_en": "Hard choices in help at home",
        "question": "Welke spanningsvelden ervaren sociaal werkers bij outreachend werken, "
        "en hoe wegen zij die?",
        "subthemes": ["3.3"],
        "foci": ["F2"],
        "design": "qualitative",
        "participation": "advising",
        "phase": "design",
        "orgs": [
            "@practice:1",
            "Beroepsgroep Sociaal Werk Rivierland",
            "Hogeschool Rivierland, opleiding Social Work",
        ],
        "researchers": ["res-03"],
    },
    {
        "title": "Krachtgericht werken met ouderen: een methodiek in ontwikkeling",
        "client_title": "Hulp aan ouderen die uitgaat van wat zij kunnen",
        "client_title_en": "Help for older people that starts from what they can do",
        "question": "Hoe kan krachtgericht werken worden aangepast aan kwetsbare ouderen?",
        "subthemes": ["2.1"],
        "foci": ["F1", "F2"],
        "design": "mixed",
        "participation": "coproducing",
        "phase": "reporting",
        "orgs": [
            "@practice:1",
            "Hogeschool Rivierland, opleiding Social Work",
            "Cliëntenraad Sociaal Domein Rivierstad",
        ],
        "researchers": ["res-01"],
    },
    {
        "title": "Cijfers en verhalen naast elkaar: joint displays voor de gemeente",
        "client_title": "Cijfers en verhalen over de hulp in uw gemeente",
        "client_title_en": "Figures and stories about help in your town",
        "question": "Hoe kunnen cijfers en verhalen samen de gemeente informeren?",
        "subthemes": ["4.2"],
        "foci": ["F3"],
        "design": "mixed",
        "participation": "informed",
        "phase": "design",
        "orgs": ["Gemeente Rivierstad", "Kenniscentrum Sociaal Werk Rivierland"],
        "researchers": ["onderzoeker"],
    },
]
# Which studies ask clients for consent: (study index, rule, probability of consent).
STUDY_CONSENTS = [(0, "all", 0.82), (1, "orgs01", 0.60), (3, "mph", 0.50)]
WITHDRAW_P = 0.06


class Writer(Protocol):
    """Where progress goes: a file, or a management command's OutputWrapper."""

    def write(self, __text: str) -> Any: ...


Model = type[models.Model]


class DatabaseNotEmpty(ValueError):
    """The database already holds clients or demo rows."""


def _say(stdout: Writer | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def _at(day_offset: int, hour: int = 9) -> datetime:
    return datetime.combine(
        WINDOW_START + timedelta(days=int(day_offset)), datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=hour)


def existing_rows() -> dict[str, int]:
    """What stands in the way of a build into an empty database."""
    return {
        "clients": Client.objects.count(),
        "organisations": Organisation.objects.count(),
        "demo users": User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).count(),
    }


# Leaf first; every casework row and every partnership row goes (the demo owns a demo
# database); lookup lists loaded by migrations stay; users outside the demo stay.
_WIPE: list[Model] = [
    OneTimeLink,
    Invitation,
    PlannedInstrument,
    MeasurementPlan,
    FidelityAnswer,
    FidelityRecord,
    ContextResponse,
    Answer,
    Assessment,
    NetworkMember,
    NetworkSnapshot,
    GoalScore,
    Goal,
    Contact.principles.through,
    Contact.actors.through,
    Contact,
    SessionDilemma,
    SharedDilemma,
    Dilemma,
    Consent,
    Trajectory.target_groups.through,
    Trajectory,
    ClientIdentity,
    Client,
    Study.subthemes.through,
    Study.foci.through,
    Study.researchers.through,
    StudyParticipation,
    ReportRun,
    AnalysisPlan,
    Study,
    Membership,
    Team.neighbourhoods.through,
    Team,
]


def _wipe_tables() -> list[Model]:
    """``_WIPE`` and every model whose rows point at a wiped row, by a chain of foreign keys.

    What people make by hand in a demo database (a dialogue session or a coding round on a
    demo study, a story) would otherwise keep a row that points at a deleted study, and the
    rebuild would fail at commit. The foreign keys are checked at commit on both databases,
    so the order of the deletes within the transaction does not matter.
    """
    wiped = list(_WIPE)
    seen = set(wiped)
    grown = True
    while grown:
        grown = False
        for model in apps.get_models(include_auto_created=True):
            if model in seen:
                continue
            if any(
                field.concrete and field.is_relation and field.related_model in seen
                for field in model._meta.get_fields()
                if field.many_to_one or field.one_to_one
            ):
                wiped.append(model)
                seen.add(model)
                grown = True
    return wiped


def _delete_made_by(users: models.QuerySet[User]) -> None:
    """Delete what the demo's personas made that protects them from deletion (a codebook).

    A row that protects another is deleted in an earlier pass; a pass that deletes nothing
    while rows remain is a cycle, and the error says which.
    """
    pending = [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.related_model is User
        and getattr(field.remote_field, "on_delete", None) is models.PROTECT
    ]
    while pending:
        left: list[tuple[Model, str]] = []
        error: ProtectedError | None = None
        for model, name in pending:
            try:
                with transaction.atomic():
                    model._default_manager.filter(**{f"{name}__in": users}).delete()
            except ProtectedError as protected:
                left.append((model, name))
                error = protected
        if error is not None and len(left) == len(pending):
            raise error
        pending = left


def delete_demo(stdout: Writer | None = None) -> None:
    """Delete the demo's rows: all casework, studies, consents and partnership rows."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for model in _wipe_tables():
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        Method.objects.filter(name__in=[m for m, _d in names.METHODS]).delete()
        demo_users = User.objects.filter(email__endswith="@" + EMAIL_DOMAIN)
        _delete_made_by(demo_users)
        demo_users.delete()
        Organisation.objects.all().delete()
        Neighbourhood.objects.all().delete()
        Municipality.objects.all().delete()
    _say(stdout, "Deleted the previous demo rows.")


DEMO_PLAN = Path(__file__).with_name("plan.yaml")


def store_demo_plan() -> None:
    """The cohort study's analysis plan (plan.yaml), as version 1 of its plan."""
    from werkplaats.insight.plan import load_text, parse_plan

    plan = parse_plan(load_text(DEMO_PLAN.read_text(encoding="utf-8")))
    study = Study.objects.get(title=STUDIES[0]["title"])
    AnalysisPlan.objects.create(
        study=study, version=1, content=plan.as_dict(), content_hash=plan.content_hash()
    )


def build_demo(
    clients: int = 1500,
    seed: int = 1,
    replace: bool = False,
    stdout: Writer | None = None,
    identities: bool = True,
) -> dict[str, Any]:
    """Build the demo workplace; return the rows made per table and the seconds taken."""
    began = time.perf_counter()
    in_the_way = {k: v for k, v in existing_rows().items() if v}
    if in_the_way and not replace:
        found = ", ".join(f"{v} {k}" for k, v in in_the_way.items())
        raise DatabaseNotEmpty(
            f"The database is not empty ({found}). The demo builds into an empty, migrated "
            "database; pass --replace to delete the demo's rows first."
        )
    world = draw_world(clients, seed)
    with transaction.atomic():  # a failed build leaves the previous demo in place
        if in_the_way:
            delete_demo(stdout)
        builder = _Builder(world, identities=identities, stdout=stdout)
        builder.build()
        add_methods_and_context(seed)
        store_demo_plan()
        address_network_members()
    # Fresh planner statistics for every table the build filled (after the commit, so
    # they describe the rows the first request will read).
    optimize(_COUNTED.values())
    counts: dict[str, Any] = {
        label: model._default_manager.count() for label, model in _COUNTED.items()
    }
    counts["rows"] = sum(counts.values())
    counts["seconds"] = round(time.perf_counter() - began, 2)
    _say(
        stdout,
        f"Built the demo workplace: {clients} clients, seed {seed}, "
        f"{counts['rows']} rows in {counts['seconds']} s.",
    )
    return counts


def _converter(field: models.Field[Any, Any]) -> Any:
    """Prepare values of one field for the database, remembering repeated values.

    Dates, datetimes and short JSON lists repeat a lot; encrypted text never may (each
    token has its own random IV), so it is not remembered.
    """
    real = connections[DEFAULT_DB_ALIAS]
    if isinstance(field, EncryptedTextField):
        return lambda v: field.get_db_prep_save(v, real)
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        key = tuple(value) if isinstance(value, list) else value
        try:
            return cache[key]
        except KeyError:
            prepared = cache[key] = field.get_db_prep_save(value, real)
            return prepared

    return convert


class _Builder:
    def __init__(self, world: World, identities: bool, stdout: Writer | None) -> None:
        self.w = world
        self.identities = identities
        self.stdout = stdout
        self.days = [WINDOW_START + timedelta(days=d) for d in range(WINDOW_DAYS + 60)]
        self.next_id: dict[Model, int] = {}
        self.inserted: set[Model] = set()

    # -- fast inserts ----------------------------------------------------------------
    def _ids(self, model: Model, n: int) -> list[int]:
        """Reserve n primary keys: the sequence on PostgreSQL, a counter on SQLite."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, model._meta.pk.column, n],
                )
                return [r[0] for r in cursor.fetchall()]
            if model not in self.next_id:
                cursor.execute(
                    f"SELECT COALESCE(MAX({model._meta.pk.column}), 0) "
                    f"FROM {connection.ops.quote_name(table)}"
                )
                top = cursor.fetchone()[0]
                if connection.vendor == "sqlite":
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                    row = cursor.fetchone()
                    top = max(top, row[0] if row else 0)
                self.next_id[model] = top + 1
        first = self.next_id[model]
        self.next_id[model] = first + n
        return list(range(first, first + n))

    def _insert(self, model: Model, names_: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
        """INSERT rows (values in the order of ``names_``) with executemany; return their pks.

        bulk_create spends most of its time building model instances and preparing each
        value through the field API; here only fields that need it (dates, JSON,
        encrypted text) go through ``get_db_prep_save``, and omitted fields get their
        default once.
        """
        if not rows:
            return []
        opts = model._meta
        fields = [cast("models.Field[Any, Any]", opts.get_field(n)) for n in names_]
        others = [f for f in opts.concrete_fields if not f.primary_key and f not in fields]
        tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        simple = (
            models.IntegerField,
            models.OneToOneField,
            models.CharField,
            models.BooleanField,
            models.ForeignKey,
            models.BigIntegerField,
            models.SmallIntegerField,
            models.PositiveSmallIntegerField,
            models.PositiveIntegerField,
        )
        convert = [
            None if type(f) in simple or (type(f) is models.TextField) else _converter(f)
            for f in fields
        ]
        ids = self._ids(model, len(rows))
        if any(convert):
            rows = [
                tuple(v if c is None else c(v) for v, c in zip(r, convert, strict=True))
                for r in rows
            ]
        params = [(pk, *r, *tail) for pk, r in zip(ids, rows, strict=True)]
        cols = [str(f.column) for f in [opts.pk, *fields, *others]]
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            connection.ops.quote_name(opts.db_table),
            ", ".join(connection.ops.quote_name(c) for c in cols),
            ", ".join(["%s"] * len(cols)),
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and USE_COPY:
                # COPY: one stream per table instead of a statement per row (the
                # 20,000-client build spent most of its time in single INSERTs).
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                copy_sql = "COPY {} ({}) FROM STDIN".format(
                    connection.ops.quote_name(opts.db_table),
                    ", ".join(connection.ops.quote_name(c) for c in cols),
                )
                with raw.copy(copy_sql) as copy:
                    for row in params:
                        copy.write_row(row)
            else:
                for k in range(0, len(params), EXECUTEMANY_ROWS):
                    cursor.executemany(sql, params[k : k + EXECUTEMANY_ROWS])
        self.inserted.add(model)
        return ids

    def _reset_sequences(self) -> None:
        """On PostgreSQL the sequences already moved; elsewhere make sure they follow."""
        if connection.vendor == "postgresql" or not self.inserted:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.inserted))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    # -- partnership ----------------------------------------------------------------
    def build(self) -> None:
        version = (
            InstrumentVersion.objects.filter(
                instrument__slug="pearlin-mastery", organisation__isnull=True
            )
            .order_by("-pk")
            .first()
        )
        self.pearlin_version = version
        self.pearlin_instrument = version.instrument_id if version else None
        self._partnership()
        self._users()
        self._methods_and_lookups()
        self._studies()
        n = self.w.clients
        for index, a in enumerate(range(0, n, CHUNK)):
            self._clients(index, a, min(n, a + CHUNK))
            reset_queries()  # under DEBUG, the query log would hold every batch
            if (index + 1) % 10 == 0:
                _say(self.stdout, f"  {min(n, a + CHUNK)} / {n} clients")
        self._link_personas()
        self._reset_sequences()

    def _partnership(self) -> None:
        w = self.w
        munis = Municipality.objects.bulk_create(
            [Municipality(name=name, cbs_code=code) for name, code, _nb in names.MUNICIPALITIES]
        )
        nbs = Neighbourhood.objects.bulk_create(
            [Neighbourhood(municipality=munis[m], name=nb) for m, nb in w.neighbourhoods]
        )
        self.nb_pk = [nb.pk for nb in nbs]
        practice = Organisation.objects.bulk_create(
            [
                Organisation(name=name, kind="practice", strengths_based_policy=int(p))
                for name, p in zip(w.practice_names, w.practice_policy, strict=True)
            ],
            batch_size=BATCH,
        )
        self.practice = practice
        partners = Organisation.objects.bulk_create(
            [
                Organisation(name=name, kind=kind, municipality=munis[m] if m is not None else None)
                for name, kind, m in names.PARTNER_ORGANISATIONS
            ]
        )
        self.org_by_name = {o.name: o for o in [*practice, *partners]}
        teams = Team.objects.bulk_create(
            [
                Team(organisation=practice[o], name=name)
                for o, name in zip(w.team_org, w.team_names, strict=True)
            ],
            batch_size=BATCH,
        )
        self.team_pk = [t.pk for t in teams]
        through = Team.neighbourhoods.through
        through.objects.bulk_create(
            [
                through(team_id=teams[t].pk, neighbourhood_id=self.nb_pk[nb])
                for t, nbs_ in enumerate(w.team_neighbourhoods)
                for nb in nbs_
            ],
            batch_size=BATCH,
        )

    def _users(self) -> None:
        w = self.w
        persona_hash = make_password(PASSWORD, salt=f"werkplaatsdemo{w.seed}")
        rows: list[tuple[str, str, str, str]] = []  # username, first, last, password
        memberships: list[tuple[str, Organisation, str, int | None]] = []
        p = PERSONAS

        # Users without a name of their own borrow one: managers' and professionals' names
        # read backwards (cycled, so that small demos never run out).
        extra_names = itertools.cycle(w.manager_names[::-1] + w.prof_names[::-1])

        def person(username: str, name: tuple[str, str] | None = None) -> None:
            if username in p:
                name = (p[username].first_name, p[username].last_name)
            first, last = name if name is not None else next(extra_names)
            rows.append(
                (username, first, last, persona_hash if username in p else UNUSABLE_PASSWORD)
            )

        for i, username in enumerate(w.prof_usernames):
            person(username, w.prof_names[i])
            team = int(w.prof_team[i])
            memberships.append(
                (username, self.practice[w.team_org[team]], Role.PROFESSIONAL, self.team_pk[team])
            )
        for t, username in enumerate(w.manager_usernames):
            person(username, w.manager_names[t])
            memberships.append(
                (username, self.practice[w.team_org[t]], Role.TEAM_MANAGER, self.team_pk[t])
            )
        for o, org in enumerate(self.practice):
            username = "orgadmin" if o == 0 else f"admin-{o:03d}"
            person(username)
            memberships.append((username, org, Role.ORG_ADMIN, None))
        by_name = self.org_by_name
        others = [
            ("onderzoeker", "Kenniscentrum Sociaal Werk Rivierland", Role.RESEARCHER),
            ("res-01", "Universiteit van Rivierland, vakgroep Sociaal Werk", Role.RESEARCHER),
            ("res-02", "Universiteit van Rivierland, vakgroep Sociaal Werk", Role.RESEARCHER),
            ("res-03", "Kenniscentrum Sociaal Werk Rivierland", Role.RESEARCHER),
            ("beleidsmaker", "Gemeente Rivierstad", Role.POLICY_MAKER),
            ("gem-01", "Gemeente Heidedorp", Role.POLICY_MAKER),
            (
                "ervaringsdeskundige",
                "Cliëntenraad Sociaal Domein Rivierstad",
                Role.EXPERIENCE_EXPERT,
            ),
            ("ed-01", "Ervaringsdeskundigen Collectief Heidedorp", Role.EXPERIENCE_EXPERT),
            ("docent", "Hogeschool Rivierland, opleiding Social Work", Role.EDUCATOR),
            ("pb-01", "Beroepsgroep Sociaal Werk Rivierland", Role.EDUCATOR),
            # The client and the network member belong to the persona client's practice.
            ("client", w.practice_names[w.org[w.persona_client]], Role.CLIENT),
            ("netwerklid", w.practice_names[w.org[w.persona_client]], Role.NETWORK_MEMBER),
        ]
        for username, org_name, role in others:
            person(username)
            memberships.append((username, by_name[org_name], role, None))
        users = User.objects.bulk_create(
            [
                User(
                    username=u,
                    first_name=f,
                    last_name=la,
                    email=f"{u}@{EMAIL_DOMAIN}",
                    password=pw,
                    date_joined=JOINED,
                    is_active=True,
                )
                for u, f, la, pw in rows
            ],
            batch_size=BATCH,
        )
        self.user_pk = {u.username: u.pk for u in users}
        self.prof_pk = np.array([self.user_pk[u] for u in w.prof_usernames])
        Membership.objects.bulk_create(
            [
                Membership(user_id=self.user_pk[u], organisation=org, role=role, team_id=team)
                for u, org, role, team in memberships
            ],
            batch_size=BATCH,
        )

    def _methods_and_lookups(self) -> None:
        existing = set(Method.objects.values_list("name", flat=True))
        Method.objects.bulk_create(
            [Method(name=n, description=d) for n, d in names.METHODS if n not in existing]
        )
        self.method_pk = dict(Method.objects.values_list("name", "pk"))
        self.tg_pk = dict(TargetGroup.objects.values_list("code", "pk"))
        self.principle_pk = dict(WorkingPrinciple.objects.values_list("code", "pk"))
        self.actor_pk = dict(ActorKind.objects.values_list("code", "pk"))
        missing = (
            [c for c in TARGET_GROUPS if c not in self.tg_pk]
            + [c for c in PRINCIPLES if c not in self.principle_pk]
            + [c for c in ACTORS if c not in self.actor_pk]
        )
        if missing:
            raise ValueError(f"Lookup rows missing (run migrate first): {', '.join(missing)}")
        self.principle_cols = np.array([self.principle_pk[c] for c in PRINCIPLES])
        self.actor_cols = np.array([self.actor_pk[c] for c in ACTORS])
        self.tg_cols = [self.tg_pk[c] for c in TARGET_GROUPS]

    def _studies(self) -> None:
        sub_pk = dict(SubTheme.objects.values_list("code", "pk"))
        focus_pk = dict(Focus.objects.values_list("code", "pk"))
        studies = Study.objects.bulk_create(
            [
                Study(
                    slug=unique_study_slug(s["title"]),
                    start=WINDOW_START,
                    title=s["title"],
                    client_title=s.get("client_title", ""),
                    client_title_en=s.get("client_title_en", ""),
                    question=s["question"],
                    design=s["design"],
                    participation=s["participation"],
                    phase=s["phase"],
                )
                for s in STUDIES
            ]
        )
        self.study_pk = [s.pk for s in studies]
        parts, subs, foci, researchers = [], [], [], []
        for study, spec in zip(studies, STUDIES, strict=True):
            orgs: list[Organisation] = []
            for ref in spec["orgs"]:
                if ref == "@practice":
                    orgs.extend(self.practice)
                elif ref.startswith("@practice:"):
                    orgs.extend(self.practice[: int(ref.split(":")[1])])
                else:
                    orgs.append(self.org_by_name[ref])
            for org in orgs:
                contribution = (
                    "praktijkdata en casuïstiek"
                    if org.kind == "practice"
                    else "onderzoek"
                    if org.kind == "knowledge"
                    else "meedenken en meelezen"
                )
                parts.append(
                    StudyParticipation(study=study, organisation=org, contribution=contribution)
                )
            subs += [
                Study.subthemes.through(study_id=study.pk, subtheme_id=sub_pk[c])
                for c in spec["subthemes"]
            ]
            foci += [
                Study.foci.through(study_id=study.pk, focus_id=focus_pk[c]) for c in spec["foci"]
            ]
            researchers += [
                Study.researchers.through(study_id=study.pk, user_id=self.user_pk[u])
                for u in spec["researchers"]
            ]
        StudyParticipation.objects.bulk_create(parts, batch_size=BATCH)
        Study.subthemes.through.objects.bulk_create(subs)
        Study.foci.through.objects.bulk_create(foci)
        Study.researchers.through.objects.bulk_create(researchers)

    # -- clients, in chunks ------------------------------------------------------------
    def _clients(self, chunk: int, a: int, b: int) -> None:
        w = self.w
        rng = np.random.default_rng([w.seed, 1, chunk])
        idx = np.arange(a, b)
        m = len(idx)
        days = self.days
        prof_user = self.prof_pk[w.prof[idx]].tolist()

        # clients and their identifying details
        lang = [names.LANGUAGES[i][0] for i in w.language[idx]]
        client_pk = self._insert(
            Client,
            ["pseudonym", "birth_year", "language", "neighbourhood"],
            [
                (w.pseudonym[i], int(w.birth_year[i]), lang[j], self.nb_pk[w.neighbourhood[i]])
                for j, i in enumerate(idx)
            ],
        )
        first = rng.integers(0, len(names.FIRST_NAMES), m)
        last = rng.integers(0, len(names.LAST_NAMES), m)
        street = rng.integers(0, len(names.STREETS), m)
        house = rng.integers(1, 180, m)
        postcode = rng.integers(0, 100, m)
        letters = rng.integers(0, 26, (m, 2))
        phone = rng.integers(0, 1_000_000, m)
        if self.identities:
            muni_names = [mn for mn, _c, _n in names.MUNICIPALITIES]
            persona = PERSONAS["client"]
            persona_name = f"{persona.first_name} {persona.last_name}"
            self._insert(
                ClientIdentity,
                ["client", "name", "contact"],
                [
                    (
                        client_pk[j],
                        persona_name
                        if i == w.persona_client
                        else f"{names.FIRST_NAMES[first[j]]} {names.LAST_NAMES[last[j]]}",
                        f"{names.STREETS[street[j]]} {house[j]}, "
                        f"99{postcode[j]:02d} {chr(65 + letters[j, 0])}{chr(65 + letters[j, 1])} "
                        f"{muni_names[w.neighbourhoods[w.neighbourhood[i]][0]]} · "
                        f"06-00{phone[j]:06d}",
                    )
                    for j, i in enumerate(idx)
                ],
            )

        # trajectories
        tg = w.target_group[idx]
        method_pick = rng.random(m)
        request_pick = rng.integers(0, 100, m)
        trajectories = []
        for j, i in enumerate(idx):
            options = METHOD_BY_GROUP[tg[j]]
            method = (
                None if method_pick[j] < 0.1 else options[int(method_pick[j] * 1000) % len(options)]
            )
            requests = names.REQUESTS_FOR_HELP[TARGET_GROUPS[tg[j]]]
            trajectories.append(
                (
                    client_pk[j],
                    prof_user[j],
                    self.team_pk[w.team[i]],
                    self.method_pk[method] if method else None,
                    days[w.start[i]],
                    days[w.end[i]] if w.end[i] >= 0 else None,
                    str(w.status[i]),
                    requests[request_pick[j] % len(requests)],
                )
            )
        traj_pk = self._insert(
            Trajectory,
            [
                "client",
                "lead_professional",
                "team",
                "method",
                "start",
                "end",
                "status",
                "request_for_help",
            ],
            trajectories,
        )
        debt_col = self.tg_cols[TARGET_GROUPS.index("debt")]
        tg_rows = [(traj_pk[j], self.tg_cols[tg[j]]) for j in range(m)]
        tg_rows += [(traj_pk[j], debt_col) for j in np.nonzero(w.debt_too[idx])[0]]
        self._insert(Trajectory.target_groups.through, ["trajectory", "targetgroup"], tg_rows)

        self._goals(rng, idx, traj_pk, prof_user)
        self._contacts(rng, idx, traj_pk, prof_user)
        self._networks(rng, idx, traj_pk)
        self._dilemmas(rng, idx, traj_pk, prof_user, chunk)
        self._consents(rng, idx, client_pk, prof_user)
        self._measurements(chunk, idx, traj_pk, prof_user)

    def _goals(
        self, rng: np.random.Generator, idx: np.ndarray, traj_pk: list[int], prof_user: list[int]
    ) -> None:
        """GAS: level = round(baseline + GAS_SHIFT + GAS_SCALE * (latent now - latent when
        the goal was set) + goal offset + noise), clipped to -2..+2."""
        w = self.w
        m = len(idx)
        n_goals = 1 + (rng.random(m) < 0.55) + (rng.random(m) < 0.2)
        n_goals[idx == w.persona_client] = np.maximum(n_goals[idx == w.persona_client], 2)
        goals: list[tuple[Any, ...]] = []
        plans: list[tuple[int, int, int, float]] = []  # client row, created wave, baseline, offset
        for j, i in enumerate(idx):
            templates = names.GOALS[TARGET_GROUPS[w.target_group[i]]]
            order = rng.permutation(len(templates))
            n_waves = int(w.wave_mask[i].sum())
            for g in range(min(int(n_goals[j]), len(templates))):
                text, levels = templates[order[g]]
                created = 0 if g == 0 or n_waves < 2 or rng.random() < 0.7 else 1
                baseline = -2 if rng.random() < 0.25 else -1
                goals.append(
                    (
                        traj_pk[j],
                        text,
                        int(rng.integers(1, 4)),
                        *levels,
                        baseline,
                        self.days[w.wave_day[i, created]],
                    )
                )
                plans.append((j, created, baseline, float(rng.normal(0, GAS_GOAL_SD))))
        goal_pk = self._insert(
            Goal,
            [
                "trajectory",
                "text",
                "weight",
                "level_minus2",
                "level_minus1",
                "level_0",
                "level_plus1",
                "level_plus2",
                "baseline",
                "created",
            ],
            goals,
        )
        scores: list[tuple[Any, ...]] = []
        for goal, (j, created, baseline, offset) in zip(goal_pk, plans, strict=True):
            i = idx[j]
            latent = w.empowerment[i]
            for k in range(created + 1, int(w.wave_mask[i].sum())):
                value = (
                    baseline
                    + GAS_SHIFT
                    + GAS_SCALE * (latent[k] - latent[created])
                    + offset
                    + rng.normal(0, GAS_NOISE_SD)
                )
                scores.append(
                    (
                        goal,
                        self.days[w.wave_day[i, k]],
                        int(np.clip(np.rint(value), -2, 2)),
                        prof_user[j],
                    )
                )
        self._insert(GoalScore, ["goal", "date", "level", "recorded_by"], scores)

    def _contacts(
        self, rng: np.random.Generator, idx: np.ndarray, traj_pk: list[int], prof_user: list[int]
    ) -> None:
        """Contacts every three weeks or so; principles drawn with the client's exposures."""
        w = self.w
        m = len(idx)
        first_day = w.start[idx]
        last_day = np.where(w.end[idx] >= 0, w.end[idx], WINDOW_DAYS)
        paused = w.status[idx] == "paused"
        pause_day = WINDOW_DAYS - 45 - rng.integers(0, 60, m)
        last_day = np.where(paused, np.maximum(first_day, pause_day), last_day)
        span = last_day - first_day
        rate = rng.gamma(5.0, 0.2, m) / 21.0
        count = np.maximum(2, rng.poisson(span * rate))
        count[idx == w.persona_client] = np.maximum(count[idx == w.persona_client], 12)
        rep = np.repeat(np.arange(m), count)
        total = len(rep)
        offset = (rng.random(total) * (span[rep] + 1)).astype(int)
        starts = np.concatenate([[0], np.cumsum(count)[:-1]])
        offset[starts] = 0  # the intake is the first contact
        order = np.lexsort((offset, rep))
        rep, offset = rep[order], offset[order]
        ci = idx[rep]
        day = first_day[rep] + offset

        prob = w.prof_style[w.prof[ci]].copy()
        prob[:, PRINCIPLES.index("strengths-based")] = w.sb[ci]
        prob[:, PRINCIPLES.index("outreach")] = w.out[ci]
        flags = rng.random(prob.shape) < prob

        tg = w.target_group[ci]
        frail = tg == TARGET_GROUPS.index("frail-elderly")
        young = tg == TARGET_GROUPS.index("young-adults")
        u = rng.random((total, 3))
        remote_p = np.where(young, 0.35, np.where(frail, 0.10, 0.20))
        home_p = np.where(frail, 0.70, 0.45)
        mode = np.where(u[:, 1] < 0.08, 5, np.where(u[:, 1] < 0.08 + home_p, 0, 1))
        remote = u[:, 0] < remote_p
        mode = np.where(remote, np.where(u[:, 2] < w.video[ci], 3, 2), mode)
        outreach = flags[:, PRINCIPLES.index("outreach")]
        mode = np.where(outreach, np.where(u[:, 2] < 0.5, 4, 0), mode)
        minutes = np.array(MODE_MINUTES)[mode] * np.exp(rng.normal(0, 0.3, total))
        minutes = np.clip(np.rint(minutes / 5) * 5, 5, 240).astype(int)

        actors = np.zeros((total, len(ACTORS)), dtype=bool)
        actors[:, 0] = rng.random(total) < np.where(mode == 2, 0.98, 0.92)
        informal_p = np.where(w.net0[ci] > 0, 0.10 + 0.30 * w.sb[ci], 0.02)
        actors[:, 1] = rng.random(total) < informal_p
        actors[:, 2:] = rng.random((total, len(ACTORS) - 2)) < SECTOR_P[tg]

        client_alliance = rng.normal(0, 0.4, m)
        level = 4.0 + w.prof_alliance[w.prof[ci]] + client_alliance[rep]
        items = np.clip(np.rint(level[:, None] + rng.normal(0, 0.5, (total, 4))), 1, 5).astype(int)
        answered = rng.random(total) < 0.6
        note_pick = rng.integers(0, len(names.CONTACT_NOTES) * 4, total)

        mode_names = [MODES[x] for x in mode.tolist()]
        items_l = items.tolist()
        answered_l = answered.tolist()
        rep_l = rep.tolist()
        day_l = day.tolist()
        minutes_l = minutes.tolist()
        note_l = [
            names.CONTACT_NOTES[x] if x < len(names.CONTACT_NOTES) else ""
            for x in note_pick.tolist()
        ]
        days = self.days
        none4 = (None, None, None, None)
        contacts = [
            (
                traj_pk[rep_l[r]],
                days[day_l[r]],
                minutes_l[r],
                mode_names[r],
                *(items_l[r] if answered_l[r] else none4),
                note_l[r],
                prof_user[rep_l[r]],
            )
            for r in range(total)
        ]
        contact_pk = np.array(
            self._insert(
                Contact,
                [
                    "trajectory",
                    "date",
                    "duration_minutes",
                    "mode",
                    "alliance_heard",
                    "alliance_my_goals",
                    "alliance_trust",
                    "alliance_next",
                    "note",
                    "recorded_by",
                ],
                contacts,
            )
        )
        del contacts
        rows, cols = np.nonzero(flags)
        self._insert(
            Contact.principles.through,
            ["contact", "workingprinciple"],
            list(zip(contact_pk[rows].tolist(), self.principle_cols[cols].tolist(), strict=True)),
        )
        rows, cols = np.nonzero(actors)
        self._insert(
            Contact.actors.through,
            ["contact", "actorkind"],
            list(zip(contact_pk[rows].tolist(), self.actor_cols[cols].tolist(), strict=True)),
        )

    def _networks(self, rng: np.random.Generator, idx: np.ndarray, traj_pk: list[int]) -> None:
        """One snapshot per wave; informal members: the first ``informal[wave]`` of a roster."""
        w = self.w
        rel_names = [r for r, _p, _s in names.INFORMAL_RELATIONS]
        rel_p = np.array([p for _r, p, _s in names.INFORMAL_RELATIONS])
        rel_p = rel_p / rel_p.sum()
        give_p = {
            "family": 0.5,
            "friend": 0.4,
            "neighbour": 0.35,
            "acquaintance": 0.2,
            "volunteer": 0.5,
        }
        snapshots: list[tuple[Any, ...]] = []
        rosters: list[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[int]]] = []
        for j, i in enumerate(idx):
            valid = np.nonzero(w.wave_mask[i])[0]
            size = int(w.informal[i, valid].max())
            rel = rng.choice(len(rel_names), size=size, p=rel_p)
            firsts = rng.integers(0, len(names.FIRST_NAMES), size)
            suffix = rng.integers(0, 100, size)
            close_u = rng.random(size)
            give = rng.random((size, 4))
            receive = rng.random((size, 4)) < 0.15
            informal = []
            for r in range(size):
                relation = rel_names[rel[r]]
                suffixes = names.INFORMAL_RELATIONS[rel[r]][2]
                label = f"{names.FIRST_NAMES[firsts[r]]} ({suffixes[suffix[r] % len(suffixes)]})"
                closeness = {
                    "family": 1 if close_u[r] < 0.6 else 2,
                    "friend": 1 if close_u[r] < 0.3 else 2 if close_u[r] < 0.8 else 3,
                    "acquaintance": 3,
                }.get(relation, 2 if close_u[r] < 0.5 else 3)
                informal.append(
                    (
                        label,
                        relation,
                        False,
                        closeness,
                        [s for s, x in zip(SUPPORT, give[r] < give_p[relation], strict=True) if x],
                        [s for s, x in zip(SUPPORT, receive[r], strict=True) if x],
                    )
                )
            if i == w.persona_client and informal:
                informal[0] = (
                    "Ans (zus)",
                    "family",
                    False,
                    1,
                    ["practical", "emotional"],
                    ["company"],
                )
            roles = names.FORMAL_ROLES[TARGET_GROUPS[w.target_group[i]]]
            pick = rng.permutation(len(roles))[: int(w.formal[i])]
            formal: list[tuple[Any, ...]] = [
                (
                    roles[p],
                    "professional",
                    True,
                    3,
                    ["advice"] if rng.random() < 0.6 else ["practical"],
                    [],
                )
                for p in pick
            ]
            counts = [int(w.informal[i, k]) for k in valid]
            rosters.append((informal, formal, counts))
            snapshots += [(traj_pk[j], self.days[w.wave_day[i, k]]) for k in valid]
        snap_pk = self._insert(NetworkSnapshot, ["trajectory", "date"], snapshots)
        members: list[tuple[Any, ...]] = []
        s = 0
        for informal, formal, counts in rosters:
            for n_informal in counts:
                snap = snap_pk[s]
                s += 1
                members += [(snap, *member) for member in informal[:n_informal] + formal]
        self._insert(
            NetworkMember,
            [
                "snapshot",
                "label",
                "relation",
                "formal",
                "closeness",
                "support_given",
                "support_received",
            ],
            members,
        )

    def _measurements(
        self, chunk: int, idx: np.ndarray, traj_pk: list[int], prof_user: list[int]
    ) -> None:
        """Pearlin Mastery answers per wave, drawn from the latent empowerment.

        The client answers at each wave with probability ``PEARLIN_RESPONSE`` (lower when
        the language at home is not Dutch), from ``PEARLIN_LATENT_SCALE`` × the latent
        score through :func:`werkplaats.demo.simulate.simulate_answers`. The professional
        rates the client at intake and at the last wave, from the same latent score but
        ``PEARLIN_PROFESSIONAL_FRAIL`` lower for frail elderly: a planted systematic
        discrepancy between informants. For ``PEARLIN_NETWORK`` of the clients with an
        informal network, a network member rates the client at intake (no bias). Randomness: ``random.Random`` seeded with
        (seed, chunk), apart from the numpy streams, so the other tables stay as they were.
        """
        w = self.w
        version = self.pearlin_version
        if version is None:
            return
        definition = version.parsed
        rnd = random.Random(f"werkplaats-demo-pearlin-{w.seed}-{chunk}")
        frail = TARGET_GROUPS.index("frail-elderly")
        assessments: list[tuple[Any, ...]] = []
        answer_values: list[dict[str, int | str | None]] = []
        completed = _at(WINDOW_DAYS)
        for j, i in enumerate(idx):
            valid = np.nonzero(w.wave_mask[i])[0]
            dutch = names.LANGUAGES[w.language[i]][0] == "Nederlands"
            respond = PEARLIN_RESPONSE if dutch else PEARLIN_RESPONSE_OTHER
            for k in valid:
                wave = "intake" if k == 0 else f"m{3 * int(k):02d}"
                day = self.days[w.wave_day[i, k]]
                latent = PEARLIN_LATENT_SCALE * float(w.empowerment[i, k])
                if rnd.random() < respond:
                    assessments.append((traj_pk[j], wave, day, "client", None))
                    answer_values.append(simulate_answers(definition, latent, rnd))
                if k == valid[0] or k == valid[-1]:
                    shift = PEARLIN_PROFESSIONAL_FRAIL if w.target_group[i] == frail else 0.0
                    assessments.append((traj_pk[j], wave, day, "professional", prof_user[j]))
                    answer_values.append(simulate_answers(definition, latent + shift, rnd))
                if k == valid[0] and w.informal[i, k] > 0 and rnd.random() < PEARLIN_NETWORK:
                    assessments.append((traj_pk[j], wave, day, "network_member", None))
                    answer_values.append(simulate_answers(definition, latent, rnd))
        rows = [
            (
                t,
                self.pearlin_instrument,
                version.pk,
                informant,
                wave,
                day,
                "complete",
                completed,
                completed,
                user,
            )
            for t, wave, day, informant, user in assessments
        ]
        pks = self._insert(
            Assessment,
            [
                "trajectory",
                "instrument",
                "version",
                "informant",
                "wave",
                "wave_date",
                "status",
                "started_at",
                "completed_at",
                "created_by",
            ],
            rows,
        )
        answers = [
            (pk, item, value, completed)
            for pk, values in zip(pks, answer_values, strict=True)
            for item, value in values.items()
            if value is not None
        ]
        self._insert(Answer, ["assessment", "item_id", "value", "answered_at"], answers)

    def _dilemmas(
        self,
        rng: np.random.Generator,
        idx: np.ndarray,
        traj_pk: list[int],
        prof_user: list[int],
        chunk: int,
    ) -> None:
        """Dilemmas for some trajectories. Which of its kind's cases a dilemma tells is
        drawn from a ``random.Random`` seeded with (seed, chunk), apart from the numpy
        stream, so the other tables stay as they were."""
        w = self.w
        texts = random.Random(f"werkplaats-demo-dilemmas-{w.seed}-{chunk}")
        m = len(idx)
        tg = w.target_group[idx]
        p = np.where(tg == TARGET_GROUPS.index("multi-problem-household"), 0.15, 0.06)
        has = np.nonzero(rng.random(m) < p)[0]
        tensions = list(dilemma_cases.DILEMMAS)
        rows = []
        for j in has:
            i = idx[j]
            last = w.end[i] if w.end[i] >= 0 else WINDOW_DAYS
            day = int(w.start[i] + rng.integers(0, max(1, last - w.start[i])))
            if tg[j] == TARGET_GROUPS.index("frail-elderly") and rng.random() < 0.5:
                tension = "autonomy_protection"
            else:
                tension = tensions[int(rng.integers(0, len(tensions)))]
            cases = dilemma_cases.DILEMMAS[tension]
            description, values, options, choice, reasons = cases[texts.randrange(len(cases))]
            rows.append(
                (
                    traj_pk[j],
                    self.days[day],
                    tension,
                    description,
                    values,
                    options,
                    choice,
                    reasons,
                    bool(rng.random() < 0.25),
                    prof_user[j],
                )
            )
        self._insert(
            Dilemma,
            [
                "trajectory",
                "date",
                "tension",
                "description",
                "values_at_stake",
                "options_weighed",
                "choice",
                "reasons",
                "moral_case_deliberation",
                "recorded_by",
            ],
            rows,
        )

    def _consents(
        self, rng: np.random.Generator, idx: np.ndarray, client_pk: list[int], prof_user: list[int]
    ) -> None:
        """Care consent for everyone; study consents for most; a few withdrawn later."""
        w = self.w
        rows: list[tuple[Any, ...]] = [
            (client_pk[j], "care", None, _at(w.start[i]), prof_user[j], None, None)
            for j, i in enumerate(idx)
        ]
        mph = TARGET_GROUPS.index("multi-problem-household")
        for study, rule, p in STUDY_CONSENTS:
            if rule == "all":
                eligible = np.ones(len(idx), dtype=bool)
            elif rule == "orgs01":
                eligible = w.org[idx] < 2
            else:
                eligible = w.target_group[idx] == mph
            yes = eligible & (rng.random(len(idx)) < p)
            if study == 0:
                yes |= idx == w.persona_client
            delay = rng.integers(0, 15, len(idx))
            withdraw = rng.random(len(idx)) < WITHDRAW_P
            withdraw &= idx != w.persona_client
            withdraw_after = rng.integers(30, 400, len(idx))
            for j in np.nonzero(yes)[0]:
                i = idx[j]
                given = min(int(w.start[i] + delay[j]), WINDOW_DAYS - 1)
                gone = given + int(withdraw_after[j])
                withdrawn = withdraw[j] and gone < WINDOW_DAYS
                rows.append(
                    (
                        client_pk[j],
                        "study",
                        self.study_pk[study],
                        _at(given, 10),
                        prof_user[j],
                        _at(gone, 11) if withdrawn else None,
                        prof_user[j] if withdrawn else None,
                    )
                )
        self._insert(
            Consent,
            [
                "client",
                "purpose",
                "study",
                "given_at",
                "recorded_by",
                "withdrawn_at",
                "withdrawn_by",
            ],
            rows,
        )

    def _link_personas(self) -> None:
        w = self.w
        Client.objects.filter(pseudonym=w.pseudonym[w.persona_client]).update(
            user_id=self.user_pk["client"]
        )


_COUNTED: dict[str, Model] = {
    "municipalities": Municipality,
    "neighbourhoods": Neighbourhood,
    "organisations": Organisation,
    "teams": Team,
    "users": User,
    "memberships": Membership,
    "studies": Study,
    "study_participations": StudyParticipation,
    "clients": Client,
    "identities": ClientIdentity,
    "trajectories": Trajectory,
    "trajectory_target_groups": Trajectory.target_groups.through,
    "goals": Goal,
    "goal_scores": GoalScore,
    "contacts": Contact,
    "contact_principles": Contact.principles.through,
    "contact_actors": Contact.actors.through,
    "dilemmas": Dilemma,
    "consents": Consent,
    "network_snapshots": NetworkSnapshot,
    "network_members": NetworkMember,
    "assessments": Assessment,
    "answers": Answer,
}


def print_personas(stdout: Writer) -> None:
    """The persona table: role, username, password."""
    rows = [("role", "username", "password"), *persona_table()]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    for n, row in enumerate(rows):
        stdout.write("  ".join(c.ljust(widths[k]) for k, c in enumerate(row)).rstrip() + "\n")
        if n == 0:
            stdout.write("  ".join("-" * wd for wd in widths) + "\n")


def demo_digest() -> str:
    """A SHA-256 over the demo's rows by natural keys (not primary keys), for comparisons."""
    h = hashlib.sha256()

    def feed(label: str, rows: Any) -> None:
        h.update(label.encode())
        for row in sorted(tuple("" if v is None else str(v) for v in r) for r in rows):
            h.update("\x1f".join(row).encode() + b"\x1e")

    feed("muni", Municipality.objects.values_list("name", "cbs_code"))
    feed("nb", Neighbourhood.objects.values_list("municipality__name", "name"))
    feed(
        "org",
        Organisation.objects.values_list(
            "name", "kind", "municipality__name", "strengths_based_policy"
        ),
    )
    feed("team", Team.objects.values_list("organisation__name", "name"))
    feed(
        "team_nb",
        Team.neighbourhoods.through.objects.values_list("team__name", "neighbourhood__name"),
    )
    feed(
        "user", User.objects.values_list("username", "first_name", "last_name", "email", "password")
    )
    feed(
        "member",
        Membership.objects.values_list(
            "user__username", "organisation__name", "role", "team__name"
        ),
    )
    feed("study", Study.objects.values_list("title", "design", "participation", "phase"))
    feed("study_sub", Study.subthemes.through.objects.values_list("study__title", "subtheme__code"))
    feed(
        "study_org",
        StudyParticipation.objects.values_list(
            "study__title", "organisation__name", "contribution"
        ),
    )
    feed(
        "study_res", Study.researchers.through.objects.values_list("study__title", "user__username")
    )
    feed(
        "client",
        Client.objects.values_list(
            "pseudonym", "birth_year", "language", "neighbourhood__name", "user__username"
        ),
    )
    feed(
        "identity",
        [
            (i.client.pseudonym, i.name, i.contact)
            for i in ClientIdentity.objects.select_related("client")
        ],
    )
    feed(
        "trajectory",
        Trajectory.objects.values_list(
            "client__pseudonym",
            "lead_professional__username",
            "team__name",
            "method__name",
            "start",
            "end",
            "status",
            "request_for_help",
        ),
    )
    feed(
        "traj_tg",
        Trajectory.target_groups.through.objects.values_list(
            "trajectory__client__pseudonym", "targetgroup__code"
        ),
    )
    feed(
        "goal",
        Goal.objects.values_list(
            "trajectory__client__pseudonym", "text", "weight", "level_0", "baseline", "created"
        ),
    )
    feed(
        "score",
        GoalScore.objects.values_list(
            "goal__trajectory__client__pseudonym",
            "goal__text",
            "date",
            "level",
            "recorded_by__username",
        ),
    )
    principles: dict[int, list[str]] = defaultdict(list)
    for c, code in Contact.principles.through.objects.values_list(
        "contact_id", "workingprinciple__code"
    ):
        principles[c].append(code)
    actors: dict[int, list[str]] = defaultdict(list)
    for c, code in Contact.actors.through.objects.values_list("contact_id", "actorkind__code"):
        actors[c].append(code)
    feed(
        "contact",
        [
            (*row[1:], ",".join(sorted(principles[row[0]])), ",".join(sorted(actors[row[0]])))
            for row in Contact.objects.values_list(
                "pk",
                "trajectory__client__pseudonym",
                "date",
                "duration_minutes",
                "mode",
                "alliance_heard",
                "alliance_my_goals",
                "alliance_trust",
                "alliance_next",
                "note",
                "recorded_by__username",
            )
        ],
    )
    feed(
        "dilemma",
        Dilemma.objects.values_list(
            "trajectory__client__pseudonym", "date", "tension", "moral_case_deliberation"
        ),
    )
    feed(
        "consent",
        Consent.objects.values_list(
            "client__pseudonym", "purpose", "study__title", "given_at", "withdrawn_at"
        ),
    )
    feed("snapshot", NetworkSnapshot.objects.values_list("trajectory__client__pseudonym", "date"))
    feed(
        "member",
        NetworkMember.objects.values_list(
            "snapshot__trajectory__client__pseudonym",
            "snapshot__date",
            "label",
            "relation",
            "formal",
            "closeness",
            "support_given",
            "support_received",
        ),
    )
    feed(
        "answer",
        Answer.objects.values_list(
            "assessment__trajectory__client__pseudonym",
            "assessment__informant",
            "assessment__wave",
            "assessment__wave_date",
            "item_id",
            "value",
        ),
    )
    feed(
        "fidelity",
        FidelityAnswer.objects.values_list(
            "record__trajectory__client__pseudonym",
            "record__date",
            "record__contact__mode",
            "item__text",
            "done",
        ),
    )
    feed(
        "context",
        ContextResponse.objects.values_list(
            "team__name", "year", "respondent__username", "informant", "answers"
        ),
    )
    return h.hexdigest()
