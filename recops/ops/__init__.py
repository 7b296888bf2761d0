"""Live recording state and journaled changes: one conversation's state and recordings, secure
pause / resume and ad-hoc start / stop (one id, many ids), who may act on a participant, the
recording files, the SQLite journal of every change and the settling of in-doubt ones, the
pause → resume → stop workflow, raw exchanges for reproducing an error, and a pause race (two
identities writing opposite states to one call at the same moment: ``race.py``, notebook 04).

May import ``recops.api``, ``recops.genesys`` and ``recops.base``; never history, export, the
CLI or the kit.
"""
