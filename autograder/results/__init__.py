"""results.json: marks of the graded tests, the pytest plugin that collects them, assembly and writing."""
