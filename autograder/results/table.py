"""The console table of a grading, for people."""
from autograder.results.safe import printable


def print_table(results, stream):
    tests = results["tests"]
    encoding = getattr(stream, "encoding", None) or "utf-8"

    def show(text):
        print(printable(text, 100_000).encode(encoding, "replace").decode(encoding), file=stream)
    width = min(max((len(t["name"]) for t in tests), default=10), 70)
    show(f"{'#':>6}  {'test':<{width}}  {'points':>11}  message")
    for test in tests:
        first = (test.get("output") or "").strip().splitlines()
        message = first[0][:90] if first else ""
        points = f"{test['score']:g}/{test['max_score']:g}"
        show(f"{test['number']:>6}  {test['name'][:width]:<{width}}  {points:>11}  {message}")
    total = sum(t["max_score"] for t in tests)
    show(f"\nTotal: {results['score']:g} / {total:g}")
    if results.get("output"):
        show(results["output"])
