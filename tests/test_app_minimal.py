import pytest
from streamlit.testing.v1 import AppTest

from lib.cli import load_summary

pytestmark = pytest.mark.apptest


def test_app_starts_on_sample_headline_numbers(sample_ds):
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not at.exception
    s = load_summary(sample_ds)
    values = [m.value for m in at.metric]
    assert f"{s['customers']:,}" in values and f"{s['orders']:,}" in values
