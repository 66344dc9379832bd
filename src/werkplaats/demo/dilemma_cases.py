"""Dilemma cases for the synthetic demo workplace: invented, in Dutch, as a professional
would record them."""

from __future__ import annotations

# Per kind of tension, several cases (what happened, values at stake, options weighed,
# choice made, reasons), so the teaching page and the team's overview do not read the
# same text over and over. The generator picks one per dilemma from its own stream.
DILEMMAS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "autonomy_protection": [
        (
            "Cliënt wil geen thuiszorg, terwijl de dochter zich zorgen maakt over vallen.",
            "Zelfbeschikking; veiligheid; de relatie met de dochter.",
            "Thuiszorg regelen tegen de wens in; niets doen; samen een kleine stap afspreken.",
            "Samen een proefperiode afgesproken met een alarmknop.",
            "De cliënt houdt regie en het risico wordt kleiner.",
        ),
        (
            "Cliënt eet nauwelijks en wil niet dat er iemand kookt of boodschappen doet.",
            "Gezondheid; eigen regie over het dagelijks leven; schaamte over hulp vragen.",
            "Maaltijdservice aanvragen; de huisarts inschakelen; samen eens per week koken.",
            "Afgesproken om eens per week samen te koken en het gewicht te laten volgen.",
            "Een kleine stap die de cliënt zelf koos werkt beter dan een opgelegde oplossing.",
        ),
        (
            "Cliënt met beginnende geheugenproblemen wil zelf blijven autorijden.",
            "Zelfstandigheid en mobiliteit; veiligheid van de cliënt en van anderen.",
            "Het rijden ontraden; een rijtest voorstellen; de familie laten beslissen.",
            "Samen een rijtest aangevraagd en afgesproken de uitslag te volgen.",
            "Een onafhankelijk oordeel haalt de strijd uit het gesprek en laat de keuze bij de cliënt.",
        ),
        (
            "Cliënt weigert de woning op te ruimen, terwijl de brandweer risico ziet.",
            "Het recht om te leven zoals je wilt; veiligheid van de buren; vertrouwen.",
            "Een opruimactie regelen; de verhuurder laten optreden; stap voor stap samen opruimen.",
            "Eerst de vluchtweg vrijgemaakt, daarna per kamer samen verder.",
            "Het grootste gevaar is weg zonder dat de cliënt de regie kwijtraakt.",
        ),
    ],
    "support_control": [
        (
            "De gemeente vraagt om een rapportage over de voortgang, de cliënt wil dat niet.",
            "Vertrouwen in de werkrelatie; verantwoording aan de opdrachtgever.",
            "Volledige rapportage; geen rapportage; een samenvatting die de cliënt eerst leest.",
            "Een korte samenvatting opgesteld die de cliënt eerst heeft gelezen.",
            "Transparant naar beide kanten, zonder het vertrouwen te schaden.",
        ),
        (
            "Cliënt met schulden wil zelf de post blijven openen, maar mist aanmaningen.",
            "Eigen verantwoordelijkheid; schade door nieuwe boetes voorkomen.",
            "Budgetbeheer aanvragen; de post overnemen; samen wekelijks de post doornemen.",
            "Wekelijks samen de post doorgenomen, met een map voor wat moet worden betaald.",
            "De cliënt leert het zelf te doen en er komen geen nieuwe boetes bij.",
        ),
        (
            "Een jongere moet van de rechter begeleiding hebben, maar komt niet op afspraken.",
            "Het kader van de rechter; de motivatie van de jongere; een eerlijke kans.",
            "Melden dat afspraken worden gemist; afspraken verplaatsen naar een plek die de jongere kiest; niets doen.",
            "De afspraken verplaatst naar de sportschool en de regels eerlijk uitgelegd.",
            "Drang werkt beter met een relatie; het kader blijft, maar de vorm is van de jongere.",
        ),
        (
            "De woningcorporatie wil weten of de cliënt de huisregels naleeft.",
            "Beroepsgeheim; het belang van een woning; samenwerking met de corporatie.",
            "Informatie geven; niets zeggen; de cliënt zelf laten vertellen in een gezamenlijk gesprek.",
            "Een gesprek met cliënt en corporatie samen, waarin de cliënt zelf vertelde.",
            "Zo blijft het verhaal van de cliënt en hoeft de professional niets achter de rug te delen.",
        ),
    ],
    "confidentiality_safety": [
        (
            "Een kind vertelt over geweld thuis en vraagt het geheim te houden.",
            "Beroepsgeheim; veiligheid van het kind; vertrouwen van het gezin.",
            "Direct melden; eerst met de ouder praten; collegiaal overleggen.",
            "Collegiaal overleg en volgens de meldcode gehandeld.",
            "De veiligheid van het kind gaat voor, met zoveel mogelijk openheid naar het gezin.",
        ),
        (
            "Cliënt vertelt dat hij soms denkt dat het leven geen zin meer heeft, en wil niet dat de huisarts het weet.",
            "Vertrouwen; het leven van de cliënt; goede zorg.",
            "De huisarts zonder toestemming bellen; het bij dit gesprek laten; samen een veiligheidsplan maken.",
            "Samen een veiligheidsplan gemaakt en toestemming gekregen om de huisarts te bellen.",
            "Met de cliënt in plaats van over de cliënt, zonder het risico te negeren.",
        ),
        (
            "Een buurvrouw meldt dat de cliënt drinkt terwijl hij voor zijn kleinkind zorgt.",
            "Veiligheid van het kind; privacy van de cliënt; betrouwbaarheid van de melding.",
            "De ouders inlichten; de cliënt ermee confronteren; eerst zelf gaan kijken.",
            "Een huisbezoek gedaan en het gesprek eerlijk met de cliënt gevoerd.",
            "Eerst weten wat er speelt, open over de melding, zonder de buurvrouw te noemen.",
        ),
        (
            "Een partner vraagt om informatie over de schulden van de cliënt.",
            "Privacy; de relatie tussen partners; het gezinsbelang.",
            "Informatie geven; weigeren; de cliënt vragen zelf te vertellen.",
            "Geweigerd en de cliënt aangemoedigd het zelf te bespreken, met hulp als hij wil.",
            "Wat de cliënt deelt, bepaalt de cliënt; de professional helpt wel bij het gesprek.",
        ),
    ],
    "wish_policy": [
        (
            "Cliënt wil een vergoeding die buiten de regels van de gemeente valt.",
            "Rechtvaardigheid; maatwerk; gelijke behandeling.",
            "Aanvraag afwijzen; maatwerkaanvraag indienen; fonds zoeken.",
            "Een maatwerkaanvraag ingediend en tegelijk een fonds benaderd.",
            "De situatie past niet in het beleid, maar de nood is reëel.",
        ),
        (
            "Cliënt wil naar een dagbesteding in de buurgemeente, de eigen gemeente betaalt alleen binnen de grens.",
            "Passende hulp; regels die voor iedereen gelden; kosten.",
            "Een dagbesteding binnen de gemeente voorstellen; bezwaar maken; een uitzondering vragen.",
            "Een uitzondering gevraagd, onderbouwd met wat de cliënt daar wel en hier niet vindt.",
            "Beleid is een middel; waar het niet past, laat je zien waarom.",
        ),
        (
            "Een gezin wil samen blijven wonen, maar de woning is te klein volgens de regels voor urgentie.",
            "Het gezin bij elkaar houden; eerlijke verdeling van woningen; gezondheid van de kinderen.",
            "Urgentie aanvragen tegen de regels in; een tijdelijke oplossing zoeken; het gezin laten splitsen.",
            "Urgentie aangevraagd met een verklaring van de huisarts, en ondertussen een logeerplek geregeld.",
            "De regels laten ruimte voor bijzondere situaties; de professional gebruikt die ruimte.",
        ),
        (
            "Cliënt wil geen hulpverlener van een andere organisatie, maar het beleid schrijft een overdracht voor.",
            "Continuïteit van de relatie; afspraken tussen organisaties; de wens van de cliënt.",
            "Overdragen volgens beleid; de overdracht uitstellen; samen met de nieuwe hulpverlener beginnen.",
            "Een warme overdracht: drie gesprekken samen met de nieuwe hulpverlener.",
            "Het beleid wordt gevolgd, maar in een tempo dat de cliënt aankan.",
        ),
    ],
    "other": [
        (
            "Twee hulpverleners geven de cliënt tegenstrijdig advies.",
            "Eenduidigheid; respect voor collega's; belang van de cliënt.",
            "Zelf kiezen; een gezamenlijk overleg beleggen; de cliënt laten kiezen.",
            "Een gezamenlijk overleg met de cliënt erbij belegd.",
            "Eén plan met de cliënt als regisseur.",
        ),
        (
            "Cliënt wil de professional een cadeau geven als dank voor de hulp.",
            "Professionele grenzen; waardering van de cliënt; gelijke behandeling.",
            "Het cadeau weigeren; het aannemen; het delen met het team.",
            "Het kleine cadeau aangenomen voor het hele team en dat aan de cliënt uitgelegd.",
            "De dank van de cliënt telt, zonder dat er een schuld ontstaat.",
        ),
        (
            "Cliënt vraagt de professional om via sociale media contact te houden.",
            "Bereikbaarheid; privacy van de professional; een heldere werkrelatie.",
            "Toestaan; weigeren; een werktelefoon voor berichten gebruiken.",
            "Berichten via de werktelefoon afgesproken, met vaste tijden om te antwoorden.",
            "Bereikbaar zijn kan zonder dat werk en privé door elkaar gaan.",
        ),
        (
            "Een vrijwilliger uit het netwerk neemt taken over die de cliënt zelf zou kunnen leren.",
            "De inzet van het netwerk; de groei van de cliënt; de vrijwilliger niet ontmoedigen.",
            "De vrijwilliger laten doen; het de vrijwilliger verbieden; samen een rolverdeling maken.",
            "Samen afgesproken welke taken de cliënt zelf leert en waar de vrijwilliger bij helpt.",
            "Het netwerk steunt het beste door naast de cliënt te staan, niet ervoor.",
        ),
    ],
}
