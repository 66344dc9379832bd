"""Lifeworld stories and co-creation: sources, co-coding, agreement, exchange, dialogue."""
