"""Steps 5-7: the engines a process runs, summary strategies, translation with
glossaries and names, key terms, the number and name checks, review flags."""
