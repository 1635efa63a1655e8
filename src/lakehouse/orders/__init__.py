"""The online shop's orders: order-line events from the shop's export, bronze -> silver -> gold."""
