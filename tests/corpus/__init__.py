"""The project's own end-to-end corpus: the grader judged on submissions it has never seen.

Each case is one row of a table; the machinery grades what the selected tests need:

- correct variants (``variants.VARIANT_STYLES``, folders in tests/submissions/variants/,
  some of them files appended to ``vectorised``'s): every test must pass;
- one-bug mutants of the reference (``tests/mutants.py``, ``MUTANTS``): each must lose
  points in a test tagged with the function it breaks, with a message that names the bug
  when its row says how (``message``);
- hostile or broken submissions (``hostile_cases.HOSTILE_CASES``, folders in
  tests/submissions/hostile/): the grading must finish, write valid and honest
  results, say what happened and leave nothing behind.

To add a case, add its row (and its folder under tests/submissions/): the tests are
parametrized over the tables, and each parameter carries a ``corpus`` marker naming
the gradings it needs (``plan.py``), so ``pytest -k NAME`` grades only those.
"""
