"""Readers of what billers already have: 837P/837I claim files (x12.py) and FHIR charts."""
