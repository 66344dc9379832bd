"""Measurement over waves: plans, assessments by several informants, answers, one-time links."""
