"""Command line of the autograder.

    python -m autograder grade SUBMISSION --results FILE   grade one submission
    python -m autograder batch DIR --out OUT [--jobs N]     grade a class, write grades.csv and report.html
    python -m autograder report OUT                         rebuild OUT/report.html
    python -m autograder build --out autograder.zip         the zip to upload to Gradescope
    python -m autograder check [DIR]                        the students' self-check (student_template/check.py),
                                                            on .py files or notebooks
"""
import argparse
import os
import sys

from autograder import config
from autograder.contract import PARTS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # the reference package lives beside the grader


def parse_parts(text):
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")
    return parts


def memory_size(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MB") from None
    if value < config.MIN_CONTAINER_MEMORY_MB:
        raise argparse.ArgumentTypeError(f"at least {config.MIN_CONTAINER_MEMORY_MB} MB (Gradescope's default is "
                                         f"{config.CONTAINER_MEMORY_MB})")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission (folder or zip)")
    grade.add_argument("submission", help="folder or zip holding the student's .py files")
    grade.add_argument("--results", default="results.json", help="where to write Gradescope JSON")
    grade.add_argument("--parts", type=parse_parts, help="comma-separated modules to grade (default: all)")
    grade.add_argument("--seed", type=int,
                       help="hidden seed (default: derived from the deployment's secret and the submission's "
                            "files, so a regrade gives the same results; recorded in results.json)")
    grade.add_argument("--data-dir", help="folder with the Fashion-MNIST idx files")
    grade.add_argument("--no-training", dest="training", action="store_false",
                       help="leave out the Fashion-MNIST training tests (a quick check, not a grade)")
    grade.set_defaults(run=run_grade)

    batch = commands.add_parser("batch", help="grade every submission in a folder (or a Gradescope export)")
    batch.add_argument("folder", help="one folder or zip per student, or Gradescope's export folder")
    batch.add_argument("--out", required=True, help="folder for grades.csv, report.html, results/ and logs/")
    batch.add_argument("--jobs", type=int, default=None, help="gradings at a time (default: number of CPUs)")
    batch.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    batch.add_argument("--no-training", dest="training", action="store_false",
                       help="leave out the Fashion-MNIST training tests (quick, not a grade)")
    batch.add_argument("--parts", type=parse_parts, help="comma-separated modules to grade (default: all)")
    batch.add_argument("--seed", type=int,
                       help="one hidden seed for every submission (default: each submission's own, from its files)")
    batch.add_argument("--timeout", type=float, default=None,
                       help="wall-clock limit of one grading in seconds (default: 900)")
    batch.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    batch.set_defaults(run=run_batch)

    report = commands.add_parser("report", help="rebuild OUT/report.html from OUT/results")
    report.add_argument("out", help="the --out folder of a batch")
    report.set_defaults(run=run_report)

    build = commands.add_parser("build", help="build the Gradescope autograder zip")
    build.add_argument("--out", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    build.add_argument("--parts", type=parse_parts,
                       help="grade only these modules, with their points scaled to 100 (default: all)")
    build.add_argument("--memory-mb", type=memory_size, default=None,
                       help="the memory of Gradescope's grading machine, as set in the assignment's settings "
                            f"(default: {config.CONTAINER_MEMORY_MB}); the memory budgets follow from it")
    build.add_argument("--student", action="store_true",
                       help="instead, regenerate what ships to students from student_template/*.py and the "
                            "grader's checks: student_template/homework.ipynb and student_template/check.py")
    build.set_defaults(run=run_build)

    check = commands.add_parser("check", help="the students' self-check on a folder (no grading)")
    check.add_argument("folder", nargs="?", default=".", help="folder with the student's .py files")
    check.add_argument("--only", help="comma-separated files to check, e.g. calculus,mlp")
    check.add_argument("--time-limit", help="seconds per check (default: check.py's)")
    check.set_defaults(run=run_check)
    return parser


def run_grade(args):
    from autograder.config import default_parts
    from autograder.grade import grade
    parts, rescale = (args.parts, False) if args.parts else default_parts()  # deployment.json: a built zip's choice
    grade(args.submission, args.results, parts=parts, hidden_seed=args.seed, data_dir=args.data_dir,
          training=args.training, rescale=rescale)
    return 0


def run_batch(args):
    from autograder.instructor.batch import DEFAULT_TIMEOUT, run_batch as batch
    summary = batch(args.folder, args.out, jobs=args.jobs, force=args.force, training=args.training,
                    parts=args.parts, seed=args.seed, timeout=args.timeout or DEFAULT_TIMEOUT,
                    progress=args.progress)
    return 0 if summary["submissions"] else 1


def run_report(args):
    from autograder.instructor.report import write_report
    print(write_report(args.out))
    return 0


def run_build(args):
    if args.student:
        from autograder.student.build import build_student
        for path in build_student():
            print(f"wrote {path}")
        return 0
    from autograder.instructor.build import build, listing
    names = build(args.out, parts=args.parts, memory_mb=args.memory_mb)
    print("\n".join(listing(args.out)))
    print(f"{args.out}: {len(names)} files" + (f", grading {', '.join(args.parts)} scaled to 100 points"
                                               if args.parts else ", grading every part")
          + f", for a {args.memory_mb or config.CONTAINER_MEMORY_MB} MB grading machine")
    return 0


def run_check(args):
    import subprocess
    script = os.path.join(REPO, "student_template", "check.py")
    if not os.path.isfile(script):
        print(f"{script} is missing (it ships with the student template, not with the Gradescope zip)",
              file=sys.stderr)
        return 2
    options = (["--only", args.only] if args.only else []) + \
        (["--time-limit", args.time_limit] if args.time_limit else [])
    return subprocess.call([sys.executable, script, args.folder] + options)


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
