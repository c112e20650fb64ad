"""Fulfilment: shipments, serial numbers, tracking and returns of approved orders."""
