"""orders_service: orders, with stock taken through products_service reservations (a saga)."""
