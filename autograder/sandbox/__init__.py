"""Isolating student code: a confined worker process per module, watched, spoken to with data only."""
