"""Italian is the first language of the people who run the method: every string has it."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "it" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "it" / "LC_MESSAGES" / "django.mo"


def _po_entries(po: Path = PO) -> list[tuple[str | None, str, str, str, str | None]]:
    """(context, msgid, msgstr, flags, msgid_plural) of every entry of an Italian .po file
    (the project's, by default)."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        parts: dict[str, list[str]] = {}
        current = None
        flags = ""
        for line in block.splitlines():
            if line.startswith("#,"):
                flags = line
            match = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line)
            if match:
                current = match.group(1)
                parts[current] = [match.group(2)]
            elif line.startswith('"') and current:
                parts[current].append(line)
        if "msgid" in parts:
            def text(key: str, parts: dict[str, list[str]] = parts) -> str:
                return "".join(bytes(p[1:-1], "utf-8").decode("unicode_escape")
                               .encode("latin-1").decode("utf-8") for p in parts[key])
            context = text("msgctxt") if "msgctxt" in parts else None
            if "msgid_plural" in parts:
                # A plural entry counts as translated when every form is; the singular form
                # stands for it, and the compiled check asks for it with a count of one.
                forms = [text(key) for key in sorted(parts) if key.startswith("msgstr[")]
                msgstr = forms[0] if forms and all(forms) else ""
                plural = text("msgid_plural")
            else:
                msgstr, plural = text("msgstr"), None
            entries.append((context, text("msgid"), msgstr, flags, plural))
    return [entry for entry in entries if entry[1]]


def test_every_string_in_the_italian_catalogue_is_translated():
    entries = _po_entries()

    assert len(entries) > 100
    assert [msgid for _c, msgid, msgstr, _f, _p in entries if not msgstr] == []
    assert [msgid for _c, msgid, _s, flags, _p in entries if "fuzzy" in flags] == []


def _compiled_text(compiled: gettext.GNUTranslations, context: str | None, msgid: str,
                   plural: str | None) -> str:
    if plural is not None:
        return (compiled.npgettext(context, msgid, plural, 1) if context
                else compiled.ngettext(msgid, plural, 1))
    return compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo is committed (no gettext tools needed to run Fido); it must not be stale."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = [
        msgid for context, msgid, msgstr, _flags, plural in _po_entries()
        if _compiled_text(compiled, context, msgid, plural) != msgstr
    ]
    assert stale == [], "run: manage.py compilemessages -l it"


def test_every_template_string_is_in_the_catalogue():
    """A {% translate %} added without running makemessages would show English to Italians."""
    known = {msgid for _c, msgid, _s, _f, _p in _po_entries()}
    pattern = re.compile(r'{%\s*translate\s+"([^"]+)"')
    missing = {
        f"{path.name}: {text}"
        for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
        for text in pattern.findall(path.read_text(encoding="utf-8"))
        # makemessages doubles a template's percent signs, and {% translate %} looks the
        # doubled text up (django.template.base.Variable.resolve), so "90%" is "90%%" there.
        if text.replace("%", "%%") not in known
    }
    assert missing == set(), "run: manage.py makemessages -l it, then translate"


# Every name the code marks a message with, Django's and the project's own (makemessages reads
# the last two through access/management/commands/makemessages.py).
MARKERS = {"_", "gettext", "gettext_lazy", "gettext_noop", "N_", "_lazy"}
APPS = ("access", "caring", "compliance", "config", "credit", "experience", "insights",
        "portfolio", "recovery", "scoring")


def _marked_in_python() -> set[str]:
    found = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in MARKERS and node.args
                        and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)):
                    found.add(f"{path.relative_to(settings.BASE_DIR)}: {node.args[0].value}")
    return found


def test_every_python_string_is_in_the_catalogue():
    """A message marked in code but missing from the catalogue (a marker makemessages does not
    know, a call inside an f-string) would show English to Italians."""
    # An app with its own locale folder (scoring) keeps its messages there.
    catalogues = [PO, *Path(settings.BASE_DIR).glob("*/locale/it/LC_MESSAGES/django.po")]
    known = {msgid for po in catalogues for _c, msgid, _s, _f, _p in _po_entries(po)}
    marked = _marked_in_python()

    assert len(marked) > 500
    missing = sorted(text for text in marked if text.split(": ", 1)[1] not in known)
    assert missing == [], "run: manage.py makemessages -l it, then translate"


@pytest.mark.django_db
def test_the_home_page_speaks_italian(client, personas):
    client.force_login(personas.agent)
    client.post(reverse("set_language"), {"language": "it", "next": "/"})

    body = client.get("/it/").content.decode()

    assert ">Debitori</a>" in body
    assert "Le tue chiamate di oggi" in body
    assert "Esci" in body


@pytest.mark.django_db
def test_an_invoice_status_reads_in_italian(client, personas):
    from tests.factories import DebtorFactory, InvoiceFactory

    debtor = DebtorFactory(client=personas.client_a)
    InvoiceFactory(debtor=debtor, client=personas.client_a)
    client.force_login(personas.agent)

    body = client.get(f"/it/portfolio/debtors/{debtor.pk}/").content.decode()

    assert "Aperta" in body  # the status
    assert "Residuo" in body  # the open amount's column
    assert "Anzianità dello scaduto" in body
