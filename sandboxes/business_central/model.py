"""The API v2.0 pages the sandbox serves: each property's EDM type and whether a client may set it.

From the API v2.0 resource pages on Microsoft Learn (fixedAsset, vendor, item, location, purchaseOrder,
purchaseOrderLine, employee, company); only the properties the connector and its tests
use, plus a few that show the shape (see docs/vendors/business_central.md).
"""

from __future__ import annotations

from sandboxes.odata_v4 import Page, Prop, s

ID = Prop("id", "Edm.Guid", editable=False)
CHANGED = Prop("lastModifiedDateTime", "Edm.DateTimeOffset", editable=False)
ADDRESS = (
    s("addressLine1", 100),
    s("addressLine2", 50),
    s("city", 30),
    s("state", 30),
    s("country", 10),
    s("postalCode", 20),
)

VENDORS = Page(
    "vendors",
    "vendor",
    (
        ID,
        s("number", 20),
        s("displayName", 100),
        *ADDRESS,
        s("phoneNumber", 30),
        s("email", 80),
        s("website", 80),
        s("currencyCode", 10),
        s("blocked"),
        Prop("balance", "Edm.Decimal", editable=False),
        CHANGED,
    ),
)
FIXED_ASSETS = Page(
    "fixedAssets",
    "fixedAsset",
    (
        ID,
        s("number", 20),
        s("displayName", 100),
        s("fixedAssetLocationCode", 10),
        s("classCode", 10),
        s("subclassCode", 10),
        Prop("blocked", "Edm.Boolean"),
        s("serialNumber", 50),
        Prop("underMaintenance", "Edm.Boolean"),
        Prop("acquisitionDate", "Edm.Date", editable=False),
        CHANGED,
    ),
)
ITEMS = Page(
    "items",
    "item",
    (
        ID,
        s("number", 20),
        s("displayName", 100),
        s("type"),
        Prop("blocked", "Edm.Boolean"),
        s("baseUnitOfMeasureCode", 10),
        Prop("unitPrice", "Edm.Decimal"),
        Prop("unitCost", "Edm.Decimal"),
        Prop("inventory", "Edm.Decimal", editable=False),
        CHANGED,
    ),
)
LOCATIONS = Page("locations", "location", (ID, s("code", 10), s("displayName", 100), *ADDRESS, CHANGED))
PURCHASE_ORDER_LINES = Page(
    "purchaseOrderLines",
    "purchaseOrderLine",
    (
        ID,
        Prop("documentId", "Edm.Guid", editable=False),
        Prop("sequence", "Edm.Int32", editable=False),
        Prop("itemId", "Edm.Guid"),
        s("lineType"),
        s("description", 100),
        s("unitOfMeasureCode", 10),
        Prop("quantity", "Edm.Decimal"),
        Prop("directUnitCost", "Edm.Decimal"),
        Prop("amountExcludingTax", "Edm.Decimal", editable=False),
        Prop("receivedQuantity", "Edm.Decimal", editable=False),
        Prop("expectedReceiptDate", "Edm.Date"),
    ),
)
PURCHASE_ORDERS = Page(
    "purchaseOrders",
    "purchaseOrder",
    (
        ID,
        s("number", 20, editable=False),
        Prop("orderDate", "Edm.Date"),
        Prop("vendorId", "Edm.Guid"),
        s("vendorNumber", 20),
        s("vendorName", 100, editable=False),
        Prop("requestedReceiptDate", "Edm.Date"),
        s("currencyCode", 10),
        s("status", editable=False),
        Prop("fullyReceived", "Edm.Boolean", editable=False),
        Prop("totalAmountExcludingTax", "Edm.Decimal", editable=False),
        CHANGED,
    ),
    lines="purchaseOrderLines",
    line_page=PURCHASE_ORDER_LINES,
)
EMPLOYEES = Page(
    "employees",
    "employee",
    (
        ID,
        s("number", 20),
        s("displayName", 100, editable=False),
        s("givenName", 30),
        s("surname", 30),
        s("jobTitle", 30),
        s("email", 80),
        s("personalEmail", 80),
        s("status"),
        CHANGED,
    ),
)
PAGES = {p.name: p for p in (FIXED_ASSETS, VENDORS, ITEMS, LOCATIONS, PURCHASE_ORDERS, EMPLOYEES)}
