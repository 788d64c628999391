// Replaced by the tabular reader/writer tests.
