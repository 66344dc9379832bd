"""Small Dutch word lists for the synthetic demo workplace.

Every place, organisation and person here is invented. Names are common Dutch (and
Dutch-by-migration) first and last names combined at random; phone numbers use the
unallocated 06-00 range; postcodes use the 99xx range that the invented municipalities
share.
"""

from __future__ import annotations

MUNICIPALITIES = [
    # name, fictitious CBS-style code, neighbourhoods
    (
        "Rivierstad",
        "GM9901",
        ["Centrum", "Oude Haven", "Molenwijk", "Zuiderpark", "Nieuwe Akkers", "De Velden"],
    ),
    ("Heidedorp", "GM9902", ["Dorpskern", "Brink", "Heidehof", "Schoolbuurt"]),
]

# Practice organisations (stakeholder kind "practice"); more are numbered when needed.
PRACTICE_ORGANISATIONS = [
    "Welzijn Rivierstad",
    "Sociaal Wijkteam Heidedorp",
    "Buurtwerk De Brug",
    "Stichting Samen Verder",
    "Zorg en Welzijn De Linde",
    "Kwartier Sociaal Werk",
]

# The other five stakeholder kinds: (name, kind, municipality index or None).
PARTNER_ORGANISATIONS = [
    ("Gemeente Rivierstad", "municipality", 0),
    ("Gemeente Heidedorp", "municipality", 1),
    ("Kenniscentrum Sociaal Werk Rivierland", "knowledge", None),
    ("Universiteit van Rivierland, vakgroep Sociaal Werk", "knowledge", None),
    ("Hogeschool Rivierland, opleiding Social Work", "education", None),
    ("Cliëntenraad Sociaal Domein Rivierstad", "client_org", None),
    ("Ervaringsdeskundigen Collectief Heidedorp", "client_org", None),
    ("Beroepsgroep Sociaal Werk Rivierland", "professional_body", None),
]

FIRST_NAMES = [
    "Anna",
    "Sanne",
    "Lotte",
    "Fleur",
    "Eva",
    "Emma",
    "Julia",
    "Lisa",
    "Iris",
    "Noor",
    "Fatima",
    "Samira",
    "Yasmina",
    "Ayşe",
    "Elif",
    "Maria",
    "Ans",
    "Joke",
    "Riet",
    "Gerda",
    "Wilma",
    "Truus",
    "Marjolein",
    "Esther",
    "Monique",
    "Sandra",
    "Priya",
    "Agnieszka",
    "Jan",
    "Piet",
    "Kees",
    "Henk",
    "Gerrit",
    "Willem",
    "Bram",
    "Daan",
    "Sem",
    "Lucas",
    "Thijs",
    "Ruben",
    "Mohamed",
    "Youssef",
    "Ahmet",
    "Mehmet",
    "Kofi",
    "Tesfay",
    "Dawit",
    "Jeroen",
    "Marco",
    "Dennis",
    "Sander",
    "Rob",
    "Erik",
    "Hans",
    "Tom",
    "Rachid",
    "Omar",
    "Jorge",
    "Piotr",
    "Stefan",
]

LAST_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "El Amrani",
    "Bouzid",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Öztürk",
    "Haile",
    "Tesfamariam",
    "Kowalski",
    "Nowak",
    "Martina",
    "Rosario",
    "Mensah",
    "Asante",
    "Pinas",
    "Doerga",
    "Ramdin",
    "Nguyen",
    "Haddou",
    "Ait Taleb",
]

STREETS = [
    "Molenstraat",
    "Kerkstraat",
    "Dorpsstraat",
    "Schoolstraat",
    "Havenkade",
    "Lindelaan",
    "Beukenlaan",
    "Eikenlaan",
    "Julianastraat",
    "Wilhelminastraat",
    "Heideweg",
    "Brinkweg",
    "Parklaan",
    "Akkerstraat",
    "Veldweg",
    "Rivierdijk",
    "Zuidsingel",
    "Noordsingel",
    "Merelstraat",
    "Lijsterbeslaan",
]

# Language spoken at home, with rough shares.
LANGUAGES = [
    ("Nederlands", 0.72),
    ("Arabisch", 0.06),
    ("Turks", 0.06),
    ("Tigrinya", 0.03),
    ("Pools", 0.03),
    ("Engels", 0.03),
    ("Papiaments", 0.02),
    ("Tamazight", 0.03),
    ("Sranantongo", 0.02),
]

METHODS = [
    (
        "Krachtwerk",
        "Krachtgericht casemanagement: de wensen en talenten van de cliënt als vertrekpunt.",
    ),
    ("Oplossingsgericht werken", "Korte, oplossingsgerichte gesprekken over wat al werkt."),
    ("Netwerkberaad", "Een beraad met familie, buren en vrienden om samen een plan te maken."),
    (
        "Intensieve gezinsbegeleiding",
        "Outreachende begeleiding van huishoudens met meerdere problemen.",
    ),
    ("Huisbezoek 75+", "Preventief huisbezoek bij kwetsbare ouderen in de wijk."),
    ("Maatjesproject", "Een vrijwilliger als maatje voor sociale contacten en meedoen."),
]

REQUESTS_FOR_HELP = {
    "frail-elderly": [
        "Sinds mijn man is overleden zit ik veel alleen thuis.",
        "Ik kan de trap niet meer goed op en de boodschappen worden zwaar.",
        "Mijn dochter woont ver weg en ik weet niet waar ik hulp kan vragen.",
        "Ik vergeet dingen en de post stapelt zich op.",
    ],
    "multi-problem-household": [
        "We hebben schulden, de huur is achter en de kinderen hebben het zwaar op school.",
        "Er is veel ruzie thuis en ik weet niet meer waar ik moet beginnen.",
        "De woningcorporatie dreigt met ontruiming en ik heb geen werk.",
        "Mijn zoon wordt gepest en ik heb zelf ook problemen met mijn gezondheid.",
    ],
    "young-adults": [
        "Ik ben gestopt met school en weet niet wat ik nu moet doen.",
        "Ik moet uit huis bij mijn ouders en heb geen woonruimte.",
        "Ik zit veel thuis en heb weinig mensen om me heen.",
    ],
    "debt": [
        "Ik krijg steeds meer brieven van incassobureaus en durf ze niet open te maken.",
        "Ik verdien te weinig om alles te betalen.",
        "Ik wil mijn geldzaken weer op orde krijgen.",
    ],
}

# Goals in the client's own words with the five GAS levels (-2 .. +2).
GOALS = {
    "frail-elderly": [
        (
            "Ik wil weer zelf boodschappen doen.",
            [
                "Ik kom de deur niet uit.",
                "Ik ga alleen met hulp naar de winkel.",
                "Ik doe één keer per week zelf boodschappen.",
                "Ik doe twee keer per week zelf boodschappen.",
                "Ik doe zelf boodschappen en help ook de buurvrouw.",
            ],
        ),
        (
            "Ik wil minder alleen zijn.",
            [
                "Ik spreek bijna niemand.",
                "Ik spreek één keer per week iemand.",
                "Ik heb twee keer per week contact met iemand.",
                "Ik ga wekelijks naar de koffieochtend.",
                "Ik ga wekelijks naar de koffieochtend en help daar mee.",
            ],
        ),
        (
            "Ik wil veilig thuis blijven wonen.",
            [
                "Ik val vaak en niemand weet het.",
                "Er komen aanpassingen, maar ik gebruik ze niet.",
                "Mijn huis is aangepast en ik heb een alarmknop.",
                "Mijn huis is aangepast en de buren kijken naar me om.",
                "Ik woon veilig en heb een vast rooster met hulp van familie.",
            ],
        ),
        (
            "Ik wil mijn post en rekeningen weer zelf bijhouden.",
            [
                "De post blijft ongeopend liggen.",
                "Mijn dochter doet alles voor me.",
                "Ik open de post en bespreek hem wekelijks met iemand.",
                "Ik betaal mijn vaste lasten zelf.",
                "Ik houd alles zelf bij.",
            ],
        ),
    ],
    "multi-problem-household": [
        (
            "Ik wil dat de huurachterstand weg is.",
            [
                "De achterstand groeit.",
                "De achterstand blijft gelijk.",
                "Er is een betalingsregeling en ik houd me eraan.",
                "De achterstand is voor de helft weg.",
                "De achterstand is helemaal weg.",
            ],
        ),
        (
            "Ik wil dat de kinderen weer elke dag naar school gaan.",
            [
                "De kinderen gaan bijna niet naar school.",
                "De kinderen missen vaak een dag.",
                "De kinderen gaan elke dag, soms te laat.",
                "De kinderen gaan elke dag op tijd.",
                "De kinderen gaan elke dag en ik heb contact met de mentor.",
            ],
        ),
        (
            "Ik wil minder ruzie thuis.",
            [
                "Er is elke dag ruzie.",
                "Er is meerdere keren per week ruzie.",
                "Er is af en toe ruzie en we praten het uit.",
                "We hebben afspraken en houden ons eraan.",
                "We lossen het samen op zonder hulp.",
            ],
        ),
        (
            "Ik wil een vaste dagbesteding of werk.",
            [
                "Ik doe overdag niets.",
                "Ik heb een gesprek gehad over werk.",
                "Ik doe twee dagdelen vrijwilligerswerk.",
                "Ik werk een paar uur betaald.",
                "Ik heb een vaste baan.",
            ],
        ),
    ],
    "young-adults": [
        (
            "Ik wil een eigen plek om te wonen.",
            [
                "Ik slaap bij steeds andere vrienden.",
                "Ik sta ingeschreven als woningzoekende.",
                "Ik heb een kamer.",
                "Ik heb een kamer en betaal de huur op tijd.",
                "Ik heb een eigen woning.",
            ],
        ),
        (
            "Ik wil een opleiding afmaken.",
            [
                "Ik doe niets aan school.",
                "Ik heb me aangemeld.",
                "Ik ga naar de lessen.",
                "Ik haal mijn eerste jaar.",
                "Ik heb mijn diploma.",
            ],
        ),
        (
            "Ik wil mensen om me heen hebben bij wie ik terecht kan.",
            [
                "Ik heb niemand.",
                "Ik heb één persoon.",
                "Ik heb twee mensen bij wie ik terecht kan.",
                "Ik heb een vaste vriendengroep.",
                "Ik help zelf ook anderen.",
            ],
        ),
    ],
    "debt": [
        (
            "Ik wil overzicht over mijn geld.",
            [
                "Ik weet niet wat ik moet betalen.",
                "Ik heb mijn post geordend.",
                "Ik heb een overzicht van inkomsten en uitgaven.",
                "Ik maak elke maand een budget.",
                "Ik houd mijn budget al maanden vol.",
            ],
        ),
        (
            "Ik wil geen nieuwe schulden maken.",
            [
                "Er komen steeds schulden bij.",
                "Er komen soms schulden bij.",
                "Er komen geen nieuwe schulden bij.",
                "Ik spaar een klein bedrag.",
                "Ik heb een buffer voor onverwachte kosten.",
            ],
        ),
        (
            "Ik wil een schuldregeling.",
            [
                "Ik wil er niet over praten.",
                "Ik heb een afspraak bij de schuldhulp.",
                "Mijn aanvraag is ingediend.",
                "Ik zit in een schuldregeling.",
                "Ik houd de regeling al een jaar vol.",
            ],
        ),
    ],
}

INFORMAL_RELATIONS = [
    # (relation, probability, label suffixes)
    (
        "family",
        0.40,
        [
            "zus",
            "broer",
            "dochter",
            "zoon",
            "moeder",
            "vader",
            "nicht",
            "neef",
            "tante",
            "oom",
            "kleindochter",
            "kleinzoon",
        ],
    ),
    ("friend", 0.25, ["vriend", "vriendin"]),
    ("neighbour", 0.20, ["buurvrouw", "buurman"]),
    ("acquaintance", 0.10, ["kennis", "van de moskee", "van de kerk", "van de sportclub"]),
    ("volunteer", 0.05, ["vrijwilliger", "maatje"]),
]

FORMAL_ROLES = {
    "frail-elderly": [
        "huisarts",
        "wijkverpleegkundige",
        "casemanager dementie",
        "thuiszorg",
        "praktijkondersteuner",
    ],
    "multi-problem-household": [
        "huisarts",
        "schuldhulpverlener",
        "woonconsulent",
        "jeugdconsulent",
        "intern begeleider school",
        "reclassering",
    ],
    "young-adults": [
        "jongerenwerker",
        "consulent werk en inkomen",
        "studieloopbaanbegeleider",
        "huisarts",
    ],
    "debt": ["schuldhulpverlener", "budgetcoach", "consulent werk en inkomen", "huisarts"],
}

CONTACT_NOTES = [
    "Samen de post doorgenomen.",
    "Samen naar de schuldhulp gebeld.",
    "Gesproken over wat goed gaat.",
    "Netwerk in kaart gebracht.",
    "Afspraak gemaakt met de woningcorporatie.",
    "Buurvrouw sloot aan bij het gesprek.",
    "Cliënt gaf aan moe te zijn; korter gesprek.",
    "Doelen samen bijgesteld.",
    "Kennisgemaakt met het buurthuis.",
    "Huisarts geïnformeerd met toestemming.",
]
