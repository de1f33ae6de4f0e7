"""How a check is declared: ``@check(part, *names)`` on a function whose docstring's first line is its title."""

CHECKS = []  # (part, function names, title, callable), in the order they run


def check(module, *names):
    """Register a check of ``names`` in ``module``; its docstring's first line is its title."""
    def register(function):
        title = (function.__doc__ or function.__name__).strip().splitlines()[0]
        CHECKS.append((module, names, title, function))
        return function
    return register
