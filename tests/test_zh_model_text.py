"""Why a model could not be fitted, in 中文 too: every reason lib.model raises has its 中文, numbers kept."""
from __future__ import annotations

import ast
import re

import pytest
from conftest import ROOT

from lib.i18n import translate

CJK = re.compile(r"[\u4e00-\u9fff]")


def _reasons() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "lib" / "model").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ModelError" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    text = arg.value
                elif isinstance(arg, ast.JoinedStr):
                    text = "".join(p.value if isinstance(p, ast.Constant) else "12" for p in arg.values)
                else:
                    continue
                out.append((f"{path.name}:{node.lineno}", text))
    return out


REASONS = _reasons()


def test_the_models_reasons_are_found():
    assert len(REASONS) >= 10


@pytest.mark.parametrize("site, text", REASONS, ids=[s for s, _ in REASONS])
def test_every_reason_a_model_gives_has_its_chinese(site, text):
    assert CJK.search(translate(text, "zh")), f"{site}: {text}"


def test_a_reason_keeps_its_numbers_and_a_nested_reason_is_translated_too():
    assert translate("Too few customers (15) to predict lifetime value; at least 20 are needed.", "zh") == \
        "客户太少（15 位），无法预测终身价值；至少需要 20 位。"
    nested = ("The backtest could not fit on the history before 2024-06-30: Too few customers have bought more than once "
              "(3; 5 are needed) to predict repurchases.")
    assert translate(nested, "zh") == "无法用 2024-06-30 之前的历史数据做回测：购买过不止一次的客户太少（3 位，需要 5 位），无法预测复购。"
    assert translate(nested, "en") == nested
