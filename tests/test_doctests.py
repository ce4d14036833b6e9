"""The module doctests (NDC and NPI layouts) run as tests: an example in a docstring is a claim to keep true."""

from __future__ import annotations

import doctest

import pytest

from igclaim import ndc, npi
from igclaim.refdata import dated


@pytest.mark.from_source  # refdata/dated.py is compiled with the core, which keeps no doctests
@pytest.mark.parametrize("module", [ndc, npi, dated])
def test_module_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module.__name__} has no doctest examples"
    assert result.failed == 0
