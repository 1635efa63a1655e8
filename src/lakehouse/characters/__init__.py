"""Disney API characters: landed pages -> one silver row per character -> masked gold tables."""
