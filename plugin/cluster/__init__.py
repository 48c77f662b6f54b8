"""Several instances on one PostgreSQL database, and the one instance on SQLite.

Every live meeting has one owner: the instance that runs its assistant, its timers and its
in-memory state, and applies what happens in it. On SQLite that is always this instance
(`Ownership`). On PostgreSQL (`ClusterOwnership`) a lease row decides, renewed by
heartbeats in the database's clock; an instance that dies loses its leases when they run
out and another takes the meetings over, one that stops cleanly hands them over at once.

What reaches a non-owner is passed on: console pages and actions for a meeting by HTTP to
its owner (plugin.web.forwarding), inputs from calls through the database
(`cluster_message` plus NOTIFY), and console updates go to every instance by NOTIFY, so a
console on any instance sees every change, in one order.
"""

from plugin.cluster.ownership import Ownership

__all__ = ["Ownership"]
