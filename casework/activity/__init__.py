"""The union's own activity and the plan's eight targets (issue 16).

``records`` holds the verbs (record, correct, submit, approve, return), ``targets`` the figures
of every target for a subtree and a period, ``workbook`` the all-targets XLSX.
"""
