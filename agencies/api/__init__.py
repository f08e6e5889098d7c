"""The agencies API (DRF): partner IT send extracts and follow their runs with knox tokens."""
