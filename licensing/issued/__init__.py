"""Documents kept as issued: a decision or notice, frozen the day it is issued.

A legal document says what was decided on the day it was issued. Re-rendering it later from
current data (a renamed company, a changed city setting) would change what it says, so each
is stored once, as printed (its PDF bytes and the printable content they came from), and
served from that copy ever after (issue 16; docs/decisions/0020-documents-stored-as-issued.md).
"""
