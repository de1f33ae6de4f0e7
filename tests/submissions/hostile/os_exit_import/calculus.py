"""Hostile: ends the process with os._exit(0) while being imported (no exception, no cleanup)."""
import os

os._exit(0)
