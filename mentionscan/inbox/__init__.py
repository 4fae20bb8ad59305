"""`mentionscan inbox`: one full-screen view to read, decide and answer the morning's mentions.

`keys.py` is the key table (the footer, `?` help and the README show it), `session.py` what
each key does, through the `Workspace` only, `detail.py` how one mention is drawn, `app.py` the
Textual application and `dialogs.py` its small screens. Textual is imported only here.
"""
