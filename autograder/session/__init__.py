"""One grading's state, handed to the graded tests as pytest fixtures."""
