"""HTTP handlers, middleware and page rendering."""
