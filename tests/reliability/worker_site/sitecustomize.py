"""Run by Python at start-up in the worker processes the reliability tests start (this
folder is first on their PYTHONPATH): connects the test-only fault injection."""

import os

if os.environ.get("NEWSUM_FAULT_INJECT"):
    from tests.reliability.fault_injection import ENV, install

    install(os.environ[ENV])
