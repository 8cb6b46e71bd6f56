"""Versioned provider prices, turning a call's usage into its estimated cost."""

from shared.pricing.table import Price, PriceTable, price_table

__all__ = ["Price", "PriceTable", "price_table"]
