"""Uploads do not pile up in the server's memory: a file's bytes leave Streamlit's upload store once read (issue #25)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
@pytest.mark.child
def test_the_upload_store_holds_no_file_once_read_nor_after_the_session_ends(tmp_path):
    # one session, 5 uploads (the last of two files): Streamlit kept every file's bytes until the session shut down,
    # and a closed tab's session is kept for a reconnect, then dropped without shutting down (258 MB, no session left)
    uploads = 5
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "upload_memory.py"), str(uploads)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600, env={**os.environ, "LTV_DATA_DIR": str(tmp_path / "store")})
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert [u.startswith("Using") for u in got["using"]] == [True] * uploads  # each upload was read and is in use
    assert "2 files" in got["using"][-1]
    assert got["after_each_upload"] == [{"bytes": 0, "files": 0}] * uploads  # read, kept by digest, let go of
    assert got["disconnected"] == {"bytes": 0, "files": 0}  # a closed tab holds nothing while it waits for a reconnect
    assert got["closed"] == {"bytes": 0, "files": 0}
