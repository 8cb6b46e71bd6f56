"""Local servers that speak cloud vendors' wire protocols, for contract and call tests."""
