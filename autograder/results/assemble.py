"""results.json's content: the tests' entries, the summary for the student, the leaderboard,
and the honest fallback when the grader itself fails."""
from autograder.contract import PARTS, part_rank


def rescaled(entries, total=100.0):
    """Scale every test's points so that they add up to ``total``."""
    available = sum(e["max_score"] for e in entries)
    factor = total / available if available else 1.0
    for entry in entries:
        entry["max_score"] = round(entry["max_score"] * factor, 4)
        entry["score"] = round(entry["score"] * factor, 4)
    return entries


def build_results(entries, submission, notes, seconds):
    found = [submission.describe(m) for m in PARTS if submission.has(m)]
    missing = [f"{m}.py" for m in PARTS if not submission.has(m)]
    summary = [f"Files graded: {', '.join(found) if found else 'none'}."]
    if missing:
        summary.append(f"Missing (their tests score 0): {', '.join(missing)}.")
    summary += notes
    score = sum(e["score"] for e in entries)
    return {"score": round(score, 4), "execution_time": round(seconds, 2), "output": "\n".join(summary),
            "output_format": "text", "stdout_visibility": "hidden", "tests": entries}


# What the leaderboard shows, from the values the training tests record (computed here,
# from the predictions or weights the student's process returned).
LEADERBOARD_COLUMNS = [("test_accuracy", "LogisticRegression", "LogisticRegression test accuracy", "desc"),
                       ("test_accuracy", "MLP", "torch MLP test accuracy", "desc"),
                       ("test_accuracy", "ConvNetDropout", "ConvNetDropout test accuracy", "desc"),
                       ("test_error", "train_mlp", "numpy MLP test error", "asc")]


def leaderboard(entries):
    """Gradescope's ``leaderboard`` list: each torch model's test accuracy and the numpy MLP's
    test error, for the models that were trained in this grading."""
    board = []
    for key, tag, name, order in LEADERBOARD_COLUMNS:
        for entry in entries:
            value = (entry.get("extra_data") or {}).get(key)
            if tag in entry.get("tags", ()) and isinstance(value, float) and 0 <= value <= 1:
                board.append({"name": name, "value": round(value, 4), "order": order})
                break
    return board


def internal_error_results(reason, seconds):
    return {"score": 0, "execution_time": round(seconds, 2),
            "output": f"The autograder could not grade this submission ({reason}). "
                      "This is not a verdict on your work: please tell your instructor.",
            "tests": [{"name": "Autograder error", "number": "0", "score": 0, "max_score": 0,
                       "status": "failed", "tags": ["autograder"],
                       "output": f"The autograder failed: {reason}."}]}


def test_order(test):
    """Where a results.json test entry comes: by part in the contract's order, then by number."""
    part = (test.get("tags") or [""])[0]
    number = [int(p) if p.isdigit() else 0 for p in str(test.get("number", "")).split(".")]
    return part_rank(part), number
