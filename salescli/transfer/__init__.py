"""CSV import and export (SPEC §7).

``entities`` says what each entity's columns are, ``reading`` opens a file (encoding,
delimiter, header), ``importer`` checks and writes it in two streaming passes with the
per-entity rules of ``records``, and ``exporter`` streams the same columns back out.
The SQL lives in ``salescli.store.transfer``.
"""
