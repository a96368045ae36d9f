# Operator pages, in English.
