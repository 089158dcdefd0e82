"""From an executed notebook to the pages a client reads.

:mod:`.pages` renders HTML with the workbook's nbconvert template and prints A4 PDFs
with WeasyPrint; :mod:`.chromium` prints the account plans' PDFs with a headless Chromium
(several times faster, same stylesheet). Uses :mod:`kamlib.core` only.
"""
