"""Instruments as data: definitions, their immutable versions, the shipped library, exchange."""
