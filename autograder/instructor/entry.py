"""One submission of a class, as batch grades it and the report lists it."""
from dataclasses import dataclass


@dataclass
class Entry:
    """One submission to grade."""
    key: str            # file-safe, unique: names results/<key>.json
    student: str        # for people: the name(s), or the folder's name
    path: str
    email: str = ""
    sid: str = ""
    submission_id: str = ""
