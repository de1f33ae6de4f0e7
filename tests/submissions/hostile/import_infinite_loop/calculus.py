"""Hostile: never finishes importing (an infinite loop at module level).

It sleeps in short steps rather than spinning, only to spare the CPU of the
machine that runs the corpus; to the grader it is the same endless import.
"""
import time

while True:
    time.sleep(0.02)
