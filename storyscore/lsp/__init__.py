"""``storyscore lsp``: a Language Server Protocol server for story scripts.

``analysis`` judges a document exactly as ``check`` does, ``complete`` knows
which words fit where, and ``server`` wires them to the protocol (pygls).
"""
