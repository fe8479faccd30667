"""A local imitation of Dynamics 365 Supply Chain Management data entities (see app.py)."""
