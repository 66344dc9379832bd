"""Werkplaats: software for an academic workplace for social work."""
