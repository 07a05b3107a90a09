"""Offline HTML (and PDF) reports: corridor reports by region and period, and the network case report.

``gather`` reads a store into the plain dataclasses of ``models``; ``render`` (with ``svg`` and ``geo``) turns
them into one self-contained HTML document; ``batch`` decides which reports one run renders.
"""
