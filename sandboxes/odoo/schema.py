"""The models the Odoo sandbox serves and their fields, as `fields_get` describes them.

A field is its Odoo type, and for a relation the model it points at. Only the
fields the sandbox seeds are declared; a field outside them is refused as Odoo
refuses an unknown field. `display` is the field Odoo shows a record by (its
`display_name` in a many2one's `[id, name]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class F:
    type: str
    string: str
    relation: str | None = None
    readonly: bool = False
    required: bool = False
    selection: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ModelDef:
    fields: dict[str, F]
    display: str = "name"
    archivable: bool = False  # has `active`: searches leave archived records out unless active_test is false
    defaults: dict[str, object] = field(default_factory=dict)


def _common(**fields: F) -> dict[str, F]:
    return {
        "id": F("integer", "ID", readonly=True),
        "display_name": F("char", "Display Name", readonly=True),
        "create_date": F("datetime", "Created on", readonly=True),
        "write_date": F("datetime", "Last Updated on", readonly=True),
        **fields,
    }


PRIORITIES = (("0", "Very Low"), ("1", "Low"), ("2", "High"), ("3", "Very High"))
TYPES = (("corrective", "Corrective"), ("preventive", "Preventive"))
Choices = tuple[tuple[str, str], ...]
USAGES: Choices = (("supplier", "Vendor"), ("view", "Virtual"), ("internal", "Internal"), ("customer", "Customer"))
USAGES += (("inventory", "Inventory Loss"), ("production", "Production"), ("transit", "Transit"))
PO_STATES: Choices = (("draft", "RFQ"), ("sent", "RFQ Sent"), ("to approve", "To Approve"))
PO_STATES += (("purchase", "Purchase Order"), ("done", "Locked"), ("cancel", "Cancelled"))

MODELS: dict[str, ModelDef] = {
    "res.users": ModelDef(
        _common(
            name=F("char", "Name", required=True),
            login=F("char", "Login", required=True),
            email=F("char", "Email"),
            active=F("boolean", "Active"),
        ),
        archivable=True,
    ),
    "res.currency": ModelDef(_common(name=F("char", "Currency", required=True))),
    "uom.uom": ModelDef(_common(name=F("char", "Unit of Measure", required=True))),
    "res.partner": ModelDef(
        _common(
            name=F("char", "Name"),
            ref=F("char", "Reference"),
            email=F("char", "Email"),
            phone=F("char", "Phone"),
            website=F("char", "Website Link"),
            contact_address=F("char", "Complete Address", readonly=True),
            supplier_rank=F("integer", "Supplier Rank"),
            active=F("boolean", "Active"),
            x_studio_payment_block=F("boolean", "Payment Block"),
        ),
        archivable=True,
        defaults={"supplier_rank": 0, "active": True, "ref": False, "email": False, "phone": False, "website": False},
    ),
    "stock.location": ModelDef(
        _common(
            name=F("char", "Location Name", required=True),
            complete_name=F("char", "Full Location Name", readonly=True),
            barcode=F("char", "Barcode"),
            usage=F("selection", "Location Type", selection=USAGES, required=True),
            location_id=F("many2one", "Parent Location", "stock.location"),
            active=F("boolean", "Active"),
        ),
        display="complete_name",
        archivable=True,
    ),
    "maintenance.stage": ModelDef(_common(name=F("char", "Name", required=True), done=F("boolean", "Request Done"))),
    "maintenance.equipment.category": ModelDef(_common(name=F("char", "Category Name", required=True))),
    "maintenance.equipment": ModelDef(
        _common(
            name=F("char", "Equipment Name", required=True),
            code=F("char", "Code"),
            note=F("html", "Note"),
            category_id=F("many2one", "Equipment Category", "maintenance.equipment.category"),
            partner_id=F("many2one", "Vendor", "res.partner"),
            model=F("char", "Model"),
            serial_no=F("char", "Serial Number"),
            location=F("char", "Location"),
            active=F("boolean", "Active"),
        ),
        archivable=True,
    ),
    "maintenance.request": ModelDef(
        _common(
            name=F("char", "Subjects", required=True),
            description=F("html", "Description"),
            stage_id=F("many2one", "Stage", "maintenance.stage"),
            priority=F("selection", "Priority", selection=PRIORITIES),
            maintenance_type=F("selection", "Maintenance Type", selection=TYPES),
            schedule_date=F("datetime", "Scheduled Date"),
            request_date=F("date", "Request Date"),
            close_date=F("date", "Close Date"),
            duration=F("float", "Duration"),
            equipment_id=F("many2one", "Equipment", "maintenance.equipment"),
            user_id=F("many2one", "Technician", "res.users"),
            owner_user_id=F("many2one", "Created by User", "res.users"),
            x_shift=F("selection", "Shift", selection=(("day", "Day"), ("night", "Night"))),
        ),
        defaults={"stage_id": 1, "priority": "0", "maintenance_type": "corrective", "duration": 0.0},
    ),
    "product.product": ModelDef(
        _common(
            name=F("char", "Name", required=True),
            default_code=F("char", "Internal Reference"),
            description_purchase=F("text", "Purchase Description"),
            uom_id=F("many2one", "Unit of Measure", "uom.uom"),
            standard_price=F("float", "Cost"),
            qty_available=F("float", "Quantity On Hand", readonly=True),
            active=F("boolean", "Active"),
        ),
        archivable=True,
    ),
    "purchase.order": ModelDef(
        _common(
            name=F("char", "Order Reference", required=True),
            state=F("selection", "Status", selection=PO_STATES),
            date_order=F("datetime", "Order Deadline"),
            date_planned=F("datetime", "Expected Arrival"),
            currency_id=F("many2one", "Currency", "res.currency"),
            amount_total=F("float", "Total", readonly=True),
            partner_id=F("many2one", "Vendor", "res.partner"),
        )
    ),
    "purchase.order.line": ModelDef(
        _common(
            order_id=F("many2one", "Order Reference", "purchase.order"),
            sequence=F("integer", "Sequence"),
            product_id=F("many2one", "Product", "product.product"),
            name=F("text", "Description"),
            product_qty=F("float", "Quantity"),
            product_uom=F("many2one", "Unit of Measure", "uom.uom"),
            price_unit=F("float", "Unit Price"),
            price_subtotal=F("float", "Subtotal", readonly=True),
            qty_received=F("float", "Received Qty"),
        ),
        display="name",
    ),
}
# The models the external API writes here (docs/vendors/odoo.md): maintenance requests and partners.
WRITABLE = frozenset({"maintenance.request", "res.partner"})
# Fields Odoo computes from others when a record is written: (model, field) -> the field it follows.
COMPUTED = {("res.partner", "contact_address"): "name"}
