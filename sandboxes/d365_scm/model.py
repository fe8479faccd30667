"""The data entities the sandbox serves: each property's EDM type and whether a client may set it.

Written with the shared OData v4 `Prop` and `Page` (one OData v4 entity set each); every
entity carries `dataAreaId`, part of its key. Entity set, property and navigation names (and the
`Edm` types) are those of an environment's `/data/$metadata`, as cited in docs/vendors/d365_scm.md.
"""

from __future__ import annotations

from typing import Any

from sandboxes.odata_v4 import Page, Prop, s

AREA = Prop("dataAreaId", "Edm.String", max_length=4)


def entity(
    name: str, type_name: str, key: str, *props: Prop, lines: str | None = None, line_page: Page | None = None
) -> Page:
    """An entity set keyed by its own id and `dataAreaId`; the id is set on create only (or numbered).

    No standard entity used here has a modification time: the sandbox keeps one per record (`MODIFIED`)
    for its control routes and ETags, never served."""
    return Page(name, type_name, (s(key, 20), AREA, *props), lines, line_page, keys=(key, "dataAreaId"))


MODIFIED = "ModifiedDateTime"  # internal only (see `entity`)
ASSETS = entity(
    "AssetMaintenanceAssetsV3",
    "MaintenanceAssetV3",
    "MaintenanceAssetId",
    s("Name", 60),
    s("MaintenanceAssetTypeId", 20),
    s("MaintenanceAssetLifecycleStateId", 20),
    s("ModelId", 20),
    s("ProductId", 20),
    s("SerialID", 30),
    s("FunctionalLocationId", 30),
    s("ParentMaintenanceAssetId", 20),
    s("CONRiskClass", 10),  # a customer's extension field (a stand-in: its name is the customer's choice)
    Prop("CONInspectionDays", "Edm.Int32"),  # another, numeric
)
LOCATIONS = entity(
    "AssetMaintenanceFunctionalLocations",
    "MaintenanceFunctionalLocation",
    "FunctionalLocationId",
    s("Name", 60),
    s("FunctionalLocationTypeId", 20),
    s("ParentFunctionalLocationId", 30),
    s("FunctionalLocationLifecycleStateId", 20),
)
JOBS = Page(
    "AssetMaintenanceWorkOrderLinesV2",
    "MaintenanceWorkOrderLineV2",
    (
        s("WorkOrderId", 20, editable=False),
        Prop("LineNumber", "Edm.Int64", editable=False),
        AREA,
        s("MaintenanceAssetId", 20),
        s("MaintenanceAssetFunctionalLocationId", 30),
        s("JobTypeId", 20),
        s("WorkOrderJobDescription", 1000),
    ),
    keys=("WorkOrderId", "LineNumber", "dataAreaId"),
)
WORK_ORDERS = entity(
    "AssetMaintenanceWorkOrderTablesV2",
    "MaintenanceWorkOrderV2",
    "WorkOrderId",
    s("Description", 60),
    s("WorkOrderTypeId", 20),
    s("WorkOrderLifecycleStateId", 20, editable=False),
    Prop("ServiceLevel", "Edm.Int32"),
    Prop("ExpectedEnd", "Edm.DateTimeOffset"),
    Prop("ActualStart", "Edm.DateTimeOffset", editable=False),
    Prop("ActualEnd", "Edm.DateTimeOffset", editable=False),
    lines="WorkOrderHeader_MaintenanceWorkOrderJobs",
    line_page=JOBS,
)
REQUESTS = entity(
    "AssetMaintenanceRequestsV2",
    "MaintenanceRequestV2",
    "RequestId",
    s("Description", 60),
    s("RequestTypeId", 20),
    s("RequestLifecycleStateId", 20, editable=False),
    Prop("WorkOrderPriority", "Edm.Int32"),
    s("MaintenanceAssetId", 20),
    s("FunctionalLocationId", 30),
    s("WorkOrderId", 20, editable=False),
)
VENDORS = entity(
    "VendorsV2",
    "VendorV2",
    "VendorAccountNumber",
    s("VendorOrganizationName", 100),
    s("VendorGroupId", 10),
    s("PrimaryEmailAddress", 255),
    s("PrimaryPhoneNumber", 255),
    s("PrimaryURL", 255),
    s("AddressStreet", 250),
    s("AddressZipCode", 10),
    s("AddressCity", 60),
    s("AddressCountryRegionId", 10),
    s("OnHoldStatus"),
)
PRODUCTS = entity(
    "ReleasedProductsV2",
    "ReleasedProductV2",
    "ItemNumber",
    s("SearchName", 20),
    s("ProductSearchName", 20),
    s("InventoryUnitSymbol", 10),
    Prop("PurchasePrice", "Edm.Decimal"),
)
ORDER_LINES = Page(
    "PurchaseOrderLinesV2",
    "PurchaseOrderLineV2",
    (
        s("PurchaseOrderNumber", 20),
        Prop("LineNumber", "Edm.Int64"),
        AREA,
        s("ItemNumber", 20),
        s("LineDescription", 1000),
        Prop("OrderedPurchaseQuantity", "Edm.Decimal"),
        s("PurchaseUnitSymbol", 10),
        Prop("PurchasePrice", "Edm.Decimal"),
        Prop("LineAmount", "Edm.Decimal", editable=False),
        s("PurchaseOrderLineStatus", editable=False),
    ),
    keys=("PurchaseOrderNumber", "LineNumber", "dataAreaId"),
)
ORDERS = entity(
    "PurchaseOrderHeadersV2",
    "PurchaseOrderHeaderV2",
    "PurchaseOrderNumber",
    s("OrderVendorAccountNumber", 20),
    s("PurchaseOrderStatus", editable=False),
    s("DocumentApprovalStatus"),
    Prop("AccountingDate", "Edm.DateTimeOffset"),
    Prop("RequestedDeliveryDate", "Edm.DateTimeOffset"),
    s("CurrencyCode", 3),
    lines="PurchaseOrderLinesV2",
    line_page=ORDER_LINES,
)
EMPLOYEES = Page(  # shared across companies: each employment names its legal entity (no `dataAreaId`)
    "EmployeesV2",
    "EmployeeV2",
    (
        s("PersonnelNumber", 25),
        s("EmploymentLegalEntityId", 4, editable=False),
        s("EmploymentId", 20, editable=False),
        s("Name", 100),
        s("PrimaryContactEmail", 255),
        s("TitleId", 50),
        Prop("EmploymentStartDate", "Edm.DateTimeOffset"),
        Prop("EmploymentEndDate", "Edm.DateTimeOffset"),
    ),
    keys=("PersonnelNumber", "EmploymentLegalEntityId", "EmploymentId"),
)
ENTITIES = {e.name: e for e in (ASSETS, LOCATIONS, WORK_ORDERS, REQUESTS, VENDORS, PRODUCTS, ORDERS, EMPLOYEES)}
# Line entity sets a client posts to, each under the header its body names: (lines, header).
LINE_SETS = {ORDER_LINES.name: ORDERS}
# What a new record holds before anyone acts on it (the states are read-only).
CREATED: dict[str, dict[str, Any]] = {
    ORDERS.name: {"PurchaseOrderStatus": "Backorder", "DocumentApprovalStatus": "Draft", str(ORDERS.lines): []},
    WORK_ORDERS.name: {"WorkOrderLifecycleStateId": "Created", str(WORK_ORDERS.lines): []},
    REQUESTS.name: {"RequestLifecycleStateId": "New"},
}
# What a record's reference must name in the same company: (property, entity set).
REFERENCES = (
    ("FunctionalLocationId", LOCATIONS.name),
    ("MaintenanceAssetFunctionalLocationId", LOCATIONS.name),
    ("MaintenanceAssetId", ASSETS.name),
    ("OrderVendorAccountNumber", VENDORS.name),
    ("ItemNumber", PRODUCTS.name),
)
