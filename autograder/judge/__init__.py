"""Judging what student code returned: comparisons, expected values, replays, classic mistakes."""
