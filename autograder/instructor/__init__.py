"""Instructor tools: a class at a time (batch), its report, the Gradescope zip."""
