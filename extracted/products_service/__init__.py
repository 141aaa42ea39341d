"""products_service: the catalogue, stock verification and stock reservations for the order saga."""
