"""The fast engine (`engine.FastOutreach`): the reference engine's model with identical tables, computed a
day at a time. Its modules: `engine` (the day and the run), `ordering` (processing order and tie-break keys),
`vector` (a whole day with numpy), `in_order` (one pass in order when a rule may refuse sends), `scalar`
(attempt by attempt), `storage` (columns, message log, spend registry), `ledger` (the ledger's bulk forms),
`draws` (random numbers in blocks), `policy` (the response-rate rule's counts in arrays)."""

from .engine import FastOutreach
from .ledger import FastLedger
from .storage import MAX_MESSAGES, TableSink, labelled

__all__ = ["MAX_MESSAGES", "FastLedger", "FastOutreach", "TableSink", "labelled"]
