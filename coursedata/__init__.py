"""Data and pictures for the homework, shared by the grader, the benchmarks and the instructor.

    coursedata.fashion_mnist  find, read and validate the Fashion-MNIST idx files (no network)
    coursedata.download       fetch the official files into the user cache, md5-checked
    coursedata.toy            the two-circles toy problem
    coursedata.plots          decision regions and learning curves (matplotlib)

Not part of the student contract, and no solution: ``reference/`` holds the solutions only.
"""
