"""Odoo sandbox."""
