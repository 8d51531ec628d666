"""Seed the rule packs with SPEC §1's table: Italy (default), United Kingdom, United States
federal and the Massachusetts overlay. Version 1 of each, in force from 2020-01-01.

Values are copied here (not imported from code) so that the migration stays what it was
when it ran; later changes are new pack versions, published by a credit manager."""

import datetime as dt
from typing import Any

from django.db import migrations

EFFECTIVE_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
KEYWORDS = ["cancel", "end", "opt out", "quit", "revoke", "stop", "unsubscribe"]
CONNECTED = ["answered", "dropped", "no_answer", "voicemail_left", "voicemail_no_message"]
UNIREC = "UNIREC industry code with consumer associations"
GARANTE = "Garante privacy, 2005 decision on debt collection"


def _week(weekdays, saturday, sunday):
    return {"mon": weekdays, "tue": weekdays, "wed": weekdays, "thu": weekdays,
            "fri": weekdays, "sat": saturday, "sun": sunday}


PACKS: list[dict[str, Any]] = [  # literal data: each pack's fields and its rules
    {
        "code": "IT", "name": "Italy", "country": "IT", "region": "", "is_default": True,
        "description": "Default pack: applies to every debtor whose country has no pack.",
        "rules": [
            ("call_window", _week(["08:30", "21:00"], ["08:30", "15:00"], None), "floor", UNIREC),
            ("calls_on_sundays", False, "default", UNIREC),
            ("calls_on_public_holidays", False, "default", UNIREC),
            ("stop_before_end_minutes", 10, "default", ""),
            ("conversations_per_day", 1, "floor", UNIREC),
            ("connected_calls_per_7_days", 7, "default", ""),
            ("frequency_channels", ["call"], "default", ""),
            ("counted_results", CONNECTED, "default", ""),
            ("consent_exclusion_days", 0, "default", ""),
            ("quiet_days_after_conversation", 3, "default", ""),
            ("follow_up_waives_quiet_period", True, "default", ""),
            ("attempts_per_day", 2, "default", ""),
            ("min_spacing_minutes", 180, "default", ""),
            ("recorded_voice_messages", "never", "floor", GARANTE),
            ("third_party_disclosure", "never", "floor", GARANTE),
            ("opt_out_keywords", KEYWORDS, "default", ""),
        ],
    },
    {
        "code": "GB", "name": "United Kingdom", "country": "GB", "region": "",
        "is_default": False, "description": "",
        "rules": [
            ("call_window", _week(["08:00", "21:00"], ["08:00", "21:00"], None), "floor",
             "CONC 7.9.4R; MCOB 13.5.4G"),
            ("calls_on_sundays", False, "default", ""),
            ("calls_on_public_holidays", False, "default", ""),
            ("stop_before_end_minutes", 10, "default", ""),
            ("conversations_per_day", 1, "default", ""),
            ("connected_calls_per_7_days", 7, "default", ""),
            ("frequency_channels", ["call"], "default", ""),
            ("counted_results", CONNECTED, "default", ""),
            ("consent_exclusion_days", 0, "default", ""),
            ("quiet_days_after_conversation", 3, "default", ""),
            ("follow_up_waives_quiet_period", True, "default", ""),
            ("attempts_per_day", 3, "default", ""),
            ("min_spacing_minutes", 120, "default", ""),
            ("recorded_voice_messages", "no_debt_disclosure", "floor", "CONC 7.9"),
            ("third_party_disclosure", "never", "floor", "CONC 7.9"),
            ("opt_out_keywords", KEYWORDS, "default", ""),
        ],
    },
    {
        "code": "US", "name": "United States (federal)", "country": "US", "region": "",
        "is_default": False, "description": "Regulation F (12 CFR 1006).",
        "rules": [
            ("call_window", _week(["08:00", "21:00"], ["08:00", "21:00"], ["08:00", "21:00"]),
             "floor", "12 CFR 1006.6(b)(1)"),
            ("calls_on_sundays", False, "default", "Allowed by law; no calls by default"),
            ("calls_on_public_holidays", False, "default",
             "Allowed by law; no calls by default"),
            ("stop_before_end_minutes", 10, "default", ""),
            ("conversations_per_day", 1, "default", ""),
            ("connected_calls_per_7_days", 7, "floor", "12 CFR 1006.14(b)(2)(i)(A)"),
            ("frequency_channels", ["call"], "floor", "12 CFR 1006.14(b)"),
            ("counted_results", CONNECTED, "floor", "12 CFR 1006.14(b)(2)"),
            ("consent_exclusion_days", 7, "floor", "12 CFR 1006.14(b)(3)(i)"),
            ("quiet_days_after_conversation", 7, "floor", "12 CFR 1006.14(b)(2)(i)(B)"),
            ("follow_up_waives_quiet_period", False, "floor", "12 CFR 1006.14(b)(2)(i)(B)"),
            ("attempts_per_day", 3, "default", ""),
            ("min_spacing_minutes", 120, "default", ""),
            ("recorded_voice_messages", "limited_content", "floor", "12 CFR 1006.2(j)"),
            ("third_party_disclosure", "location_once_per_person", "floor", "12 CFR 1006.10"),
            ("opt_out_keywords", KEYWORDS, "default", "12 CFR 1006.6(e); FCC 24-24"),
        ],
    },
    {
        "code": "US-MA", "name": "Massachusetts overlay", "country": "US", "region": "MA",
        "is_default": False, "base": "US",
        "description": "Applies on top of the federal pack to debtors in Massachusetts.",
        "rules": [
            ("connected_calls_per_7_days", 2, "floor", "940 CMR 7.04(1)(f)"),
            ("frequency_channels", ["call", "sms"], "floor", "940 CMR 7.04(1)(f)"),
        ],
    },
]


def seed(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    RulePackVersion = apps.get_model("compliance", "RulePackVersion")
    PackRule = apps.get_model("compliance", "PackRule")
    created: dict[str | None, Any] = {}  # by code; a pack without a base looks up None
    for spec in PACKS:
        pack = RulePack.objects.create(
            code=spec["code"], name=spec["name"], country=spec["country"],
            region=spec["region"], is_default=spec["is_default"],
            description=spec["description"], base=created.get(spec.get("base")),
        )
        created[pack.code] = pack
        version = RulePackVersion.objects.create(
            pack=pack, version=1, effective_from=EFFECTIVE_FROM,
            note="First edition, from SPEC §1.")
        PackRule.objects.bulk_create(
            PackRule(pack_version=version, parameter=parameter, value=value, kind=kind,
                     source=source)
            for parameter, value, kind, source in spec["rules"]
        )


def unseed(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    RulePackVersion = apps.get_model("compliance", "RulePackVersion")
    codes = [spec["code"] for spec in PACKS]
    RulePackVersion.objects.filter(pack__code__in=codes).delete()
    RulePack.objects.filter(code__in=codes, region__gt="").delete()
    RulePack.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
