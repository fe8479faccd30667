"""SAP ECC (on premises, client 100) against the SAP sandbox."""

from __future__ import annotations

from sandboxes.sap.app import ECC_CLIENT
from tests.conformance.case import SystemCase
from tests.conformance.cases.sap_s4hana import NESTED_QUERY, WRITES, expected_calls, starter

CASE = SystemCase(
    system="sap_ecc",
    hosting="ON_PREMISES",
    start=starter(ECC_CLIENT),
    nested_query=NESTED_QUERY,
    expected_calls=expected_calls,
    writes=WRITES,
    uncounted=frozenset({"WorkOrder"}),
)
