// Tabular readers and writers (CSV, XLSX) live in this folder.
