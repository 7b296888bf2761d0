"""What fills an org: builders of clients, users, queues and conversations from specs
(``builders``), seeded histories (``builders.seed_history``) with their planned pauses
(``pauses``) and names (``names``), and generated histories computed per index (``history``).
The named scenarios that use them are ``recops.sandbox.scenarios``.

Imports: ``sandbox.model`` and this package only (no HTTP, no handlers).
"""
