"""Desks: the subscribers that own a piece of meeting state each.

presence (participant rows), speaking (the speaking queue and hands), phone (calls),
wellbeing (check-outs and flags), console (what facilitators' browsers are told).
"""
