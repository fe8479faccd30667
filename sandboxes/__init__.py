"""Wire-faithful imitations of the vendor systems, for the demo and the tests.

Test doubles, apart from the product: each `<vendor>/` subpackage holds the
app (routes and envelopes), its seed data and its write rules, written from the
vendor's documentation (cited in `docs/vendors/<system>.md`), never from the
connector. Only the demo (`plantgate serve --demo`) and the tests import them.
"""
