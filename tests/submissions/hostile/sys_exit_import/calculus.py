"""Hostile: raises SystemExit while being imported."""
import sys

sys.exit("calculus.py decided to stop here")
