"""Runners: how each kind of provider is measured on a dataset (see ``base.py``)."""
