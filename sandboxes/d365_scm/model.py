"""The data entities the sandbox serves: each property's EDM type and whether a client may set it.

Written with the shared OData v4 `Prop` and `Page` (one OData v4 entity set each); every
entity carries `dataAreaId`, part of its key. Property names are from the public data entities where
cited in docs/vendors/d365_scm.md, else marked there as unverified.
"""

from __future__ import annotations

from sandboxes.odata_v4 import Page, Prop, s

AREA = Prop("dataAreaId", "Edm.String", max_length=4)
CHANGED = Prop("ModifiedDateTime", "Edm.DateTimeOffset", editable=False)
LEVEL = Prop("ServiceLevel", "Edm.Int32")


def entity(
    name: str, type_name: str, key: str, *props: Prop, lines: str | None = None, line_page: Page | None = None
) -> Page:
    """An entity set keyed by its own id and `dataAreaId`; the id is set on create only (or numbered)."""
    return Page(name, type_name, (s(key, 20), AREA, *props, CHANGED), lines, line_page, keys=(key, "dataAreaId"))


ASSETS = entity(
    "MaintenanceAssets",
    "MaintenanceAsset",
    "MaintenanceAssetId",
    s("Name", 60),
    s("AssetTypeId", 20),
    s("LifecycleStateId", 20),
    s("CriticalityId", 10),
    s("ManufacturerId", 20),
    s("ModelId", 20),
    s("SerialNumber", 30),
    s("FunctionalLocationId", 30),
    s("ParentMaintenanceAssetId", 20),
)
LOCATIONS = entity(
    "FunctionalLocations",
    "FunctionalLocation",
    "FunctionalLocationId",
    s("Name", 60),
    s("FunctionalLocationTypeId", 20),
    s("ParentFunctionalLocationId", 30),
    s("LifecycleStateId", 20),
)
WORK_ORDERS = entity(
    "MaintenanceWorkOrders",
    "MaintenanceWorkOrder",
    "WorkOrderId",
    s("Description", 60),
    s("WorkOrderTypeId", 20),
    s("WorkOrderLifecycleStateId", 20, editable=False),
    LEVEL,
    Prop("ExpectedEndDateTime", "Edm.DateTimeOffset"),
    Prop("ActualStartDateTime", "Edm.DateTimeOffset", editable=False),
    Prop("ActualEndDateTime", "Edm.DateTimeOffset", editable=False),
    s("MaintenanceAssetId", 20),
    s("FunctionalLocationId", 30),
)
REQUESTS = entity(
    "MaintenanceRequests",
    "MaintenanceRequest",
    "RequestId",
    s("Description", 60),
    s("RequestTypeId", 20),
    s("RequestLifecycleStateId", 20, editable=False),
    LEVEL,
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
    s("ProductName", 60),
    s("ProductDescription", 1000),
    s("InventoryUnitSymbol", 10),
    Prop("PurchasePrice", "Edm.Decimal"),
)
ORDER_LINES = Page(
    "PurchaseOrderLinesV2",
    "PurchaseOrderLineV2",
    (
        s("PurchaseOrderNumber", 20),
        Prop("LineNumber", "Edm.Int32"),
        AREA,
        s("ItemNumber", 20),
        s("LineDescription", 1000),
        Prop("OrderedPurchaseQuantity", "Edm.Decimal"),
        s("PurchaseUnitSymbol", 10),
        Prop("PurchasePrice", "Edm.Decimal"),
        Prop("LineAmount", "Edm.Decimal"),
        Prop("ReceivedInventoryQuantity", "Edm.Decimal", editable=False),
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
ENTITIES = {e.name: e for e in (ASSETS, LOCATIONS, WORK_ORDERS, REQUESTS, VENDORS, PRODUCTS, ORDERS)}
# What a record's reference must name in the same company: (property, entity set).
REFERENCES = (
    ("FunctionalLocationId", "FunctionalLocations"),
    ("MaintenanceAssetId", "MaintenanceAssets"),
    ("OrderVendorAccountNumber", "VendorsV2"),
)
