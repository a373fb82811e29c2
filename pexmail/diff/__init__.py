"""Reviewers' diff: what changes for a tenant between two versions of a letter or catalogue.

One module per step: ``versions`` (get the two catalogues), ``entries`` (catalogue
changes in words), ``text`` and ``words`` (the text a tenant reads, word-level
diff), ``pages`` (page images compared), ``compare`` (render both and compare),
``report`` (terminal summary and HTML report).
"""
