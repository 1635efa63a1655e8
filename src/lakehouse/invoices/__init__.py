"""The invoices pipeline: monthly invoices and their retroactive averages."""
