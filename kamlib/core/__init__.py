"""The core: what every layer may use and that uses nothing above it.

Errors (:mod:`.errors`), number and text formats (:mod:`.fmt`), periods and windows
(:mod:`.periods`), where things live (:mod:`.paths`), the engagement's settings
(:mod:`.config`), what the method tells the reader (:mod:`.notes`) and the Excel
writer (:mod:`.excel`).
"""
