"""Stories pages, by sub-domain: sources (and anonymisation, the teller's own stories, the
case page), coding (codebooks, rounds, the coding screen, comparison, REFI-QDA exchange) and
synthesis (joint displays, findings, dialogue sessions, member checks). Thin views: parse,
check access, call a service or selector, render.
"""
