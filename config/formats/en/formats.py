"""English as this firm's people read it: 24-hour times and unambiguous dates.

Django's "en" formats are American ("12/04/2026", "3:30 p.m."); the agents and clients who
read Fido in English work in Europe, where 12/04 is the 12th of April. Only what differs from
Django's own English formats is here (numbers keep "40,000.00"); Italian uses Django's "it".
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1
