"""Passwords, tokens and other secrets."""
