"""``dinghuo plugins new``: a pip package per kind of plugin whose own tests pass as generated."""

from __future__ import annotations

import logging
import os
import tomllib

import pytest
from click.testing import CliRunner

from dinghuo.cli import main
from dinghuo.plugins.cli import KINDS


def test_each_kind_is_generated_as_a_package_whose_tests_pass_against_dinghuo_testing(
    tmp_path, monkeypatch
):
    if os.environ.get("DINGHUO_TEST_DATABASE_URL"):
        pytest.skip("dinghuo.testing is SQLite only: the SQLite pass runs this test")
    runner = CliRunner()
    for kind in KINDS:
        target = tmp_path / kind
        created = runner.invoke(
            main, ["plugins", "new", kind, f"acme-{kind}", "--dir", str(target)]
        )
        assert created.exit_code == 0, created.output
        project = tomllib.loads((target / "pyproject.toml").read_text())
        assert project["project"]["name"] == f"dinghuo-acme-{kind}"
        assert project["project"]["entry-points"]["dinghuo"] == {
            f"acme-{kind}": f"dinghuo_acme_{kind}.plugin"
        }
        assert project["tool"]["pytest"]["ini_options"]["addopts"] == "-p dinghuo.testing"
        monkeypatch.syspath_prepend(str(target / "src"))

    again = runner.invoke(
        main, ["plugins", "new", "erp", "acme-erp", "--dir", str(tmp_path / "erp")]
    )
    assert again.exit_code == 1 and "not an empty directory" in again.output
    badly_named = runner.invoke(main, ["plugins", "new", "pricing", "Acme_Rules"])
    assert badly_named.exit_code == 1 and "lowercase" in badly_named.output
    assert runner.invoke(main, ["plugins", "new", "shipping", "x"]).exit_code == 2

    # The generated tests, in one pytest session of their own (one throwaway Dinghuo);
    # Playwright's plugin cannot run inside this session's, and they need no browser.
    dinghuo_logger = logging.getLogger("dinghuo")
    handlers = dinghuo_logger.handlers[:]
    try:
        outcome = pytest.main(
            [
                "-q",
                "-p",
                "dinghuo.testing",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:playwright",
                "--rootdir",
                str(tmp_path),
                "--basetemp",
                str(tmp_path / "run"),
                *(str(tmp_path / kind / "tests") for kind in KINDS),
            ]
        )
    finally:
        dinghuo_logger.handlers[:] = handlers
    assert outcome == pytest.ExitCode.OK
