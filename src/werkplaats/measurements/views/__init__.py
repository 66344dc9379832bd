"""Measurement pages, by seam: the professional's pages (``plans``: measurements of a
trajectory, plans, starting, export), the questionnaire forms (``answering``: the client's,
the professional's and the network member's one-time link) and answers from other tools
(``imports``). Thin views over access, services and selectors.
"""
