"""The condominium app's users (``public.usuarios``): Debezium change events -> SCD1, SCD2, masked gold."""
