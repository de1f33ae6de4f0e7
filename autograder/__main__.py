"""Command line: ``python -m autograder grade SUBMISSION --results FILE``."""
import argparse
import os
import sys

from .submission import MODULES

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # the reference package lives beside the grader


def parse_parts(text):
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in parts if p not in MODULES]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"unknown part(s) {unknown}; choose from {', '.join(MODULES)}")
    return parts


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission (folder or zip)")
    grade.add_argument("submission", help="folder or zip holding the student's .py files")
    grade.add_argument("--results", default="results.json", help="where to write Gradescope JSON")
    grade.add_argument("--parts", type=parse_parts, help="comma-separated modules to grade (default: all)")
    grade.add_argument("--seed", type=int, help="hidden seed (default: random, recorded in results.json)")
    grade.add_argument("--data-dir", help="folder with the Fashion-MNIST idx files")
    grade.add_argument("--no-training", dest="training", action="store_false",
                       help="leave out the Fashion-MNIST training tests (a quick check, not a grade)")
    grade.set_defaults(run=run_grade)
    return parser


def run_grade(args):
    from .grade import grade
    grade(args.submission, args.results, parts=args.parts, hidden_seed=args.seed, data_dir=args.data_dir,
          training=args.training)
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
