"""Display formats for people (US coordinators): m/d/Y dates and 12-hour clock times.

Django picks this module for LANGUAGE_CODE "en-us" through settings.FORMAT_MODULE_PATH. Only display formats are
defined here; the input formats (DATE_INPUT_FORMATS, TIME_INPUT_FORMATS, DATETIME_INPUT_FORMATS) stay Django's own
"en" lists, so forms accept what they accepted before. Machine outputs (exports, FHIR, HL7, iCalendar) use fixed
formats of their own and never these.
"""

DATE_FORMAT = "m/d/Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "m/d/Y g:i A"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
