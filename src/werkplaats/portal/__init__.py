"""Pages that show several domains at once: the home page, logging in and out, the
language switch, the trajectory page, the client's own pages and data download, and
the programme map. The domain apps offer selectors and access functions; the portal
composes them and is the only app (besides the demo) allowed to import all of them.
"""
