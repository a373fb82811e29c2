"""Easy-to-Read (FALC) checks: French text and layout rules, readability scores, the gate.

``text`` segments a letter into paragraphs, sentences and words; ``rules``
turns them (and the layout facts ``layout`` reads from a laid-out document or
a file) into findings; ``readability`` scores; ``gate`` decides per document.
Thresholds, levels and the glossary come from the catalogue's ``falc:`` section.
"""
