"""Storage: SQLModel tables, the async engine, Alembic migrations and small repositories."""
