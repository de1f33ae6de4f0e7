"""Finding the student's files: folders, nested folders, zips, and what goes wrong with them."""
import os
import stat
import zipfile

import pytest

from autograder.contract import PARTS
from autograder.errors import SubmissionError
from autograder.load.submission import locate


def parts_found(submission):
    return [part for part in PARTS if submission.has(part)]


def write(folder, *names):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        with open(os.path.join(folder, name), "w") as f:
            f.write("x = 1\n")


def test_files_at_the_top(tmp_path):
    write(tmp_path, "calculus.py", "mlp.py", "notes.txt")
    found = locate(str(tmp_path), str(tmp_path / "work"))
    assert parts_found(found) == ["calculus", "mlp"]
    assert "notes.txt" not in found.files


def test_files_inside_one_nested_folder(tmp_path):
    write(tmp_path / "hw2" , "calculus.py", "conv.py", "helpers.py")
    write(tmp_path / "__MACOSX", "calculus.py")
    found = locate(str(tmp_path), str(tmp_path / "work"))
    assert parts_found(found) == ["calculus", "conv"] and "helpers.py" in found.files
    assert found.folder.endswith("hw2")


def test_zip_with_nested_folder(tmp_path):
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("my_homework/calculus.py", "x = 1\n")
        z.writestr("my_homework/torch_models.py", "x = 1\n")
        z.writestr("__MACOSX/my_homework/._calculus.py", "junk")
    work = tmp_path / "work"
    work.mkdir()
    assert parts_found(locate(str(archive), str(work))) == ["calculus", "torch_models"]


def test_zip_path_traversal_and_links_are_ignored(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../evil.py", "x = 1\n")
        z.writestr("/abs/evil2.py", "x = 1\n")
        link = zipfile.ZipInfo("calculus.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("mlp.py", "x = 1\n")
    work = tmp_path / "work"
    work.mkdir()
    found = locate(str(archive), str(work))
    assert parts_found(found) == ["mlp"]
    assert not (tmp_path / "evil.py").exists() and not os.path.exists("/abs/evil2.py")


def test_not_a_zip_and_missing_path_give_messages(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01")
    with pytest.raises(SubmissionError, match="neither a folder, a zip file nor a notebook"):
        locate(str(junk), str(tmp_path))
    with pytest.raises(SubmissionError, match="does not exist"):
        locate(str(tmp_path / "nothing"), str(tmp_path))


def test_corrupt_zip_gives_a_message(tmp_path):
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("calculus.py", "x = 1\n" * 1000)
    data = archive.read_bytes()
    archive.write_bytes(data[:40] + b"\xff" * 50 + data[90:])
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(SubmissionError, match="zip"):
        locate(str(archive), str(work))


def test_misnamed_files_are_pointed_out(tmp_path):
    write(tmp_path, "Calculus.py", "mlp (1).py", "conv.py")
    found = locate(str(tmp_path), str(tmp_path / "work"))
    assert parts_found(found) == ["conv"]
    text = "\n".join(found.notes)
    assert "Calculus.py" in text and "rename it to calculus.py" in text
    assert "mlp (1).py" in text
