"""Comment themes: a small keyword lexicon in Italian and English, explainable by design.

The method: a comment is lower-cased, accents are stripped, and it is split into words. A
theme matches when any of its cue words starts one of the comment's words ("rateizz" matches
"rateizzazione" and "rateizzare"), or any of its cue phrases appears in the text. A comment may
carry several themes, or none ("other"). Nothing is learned, so a team leader can read the
lexicon below and know exactly why a comment sits under a theme; adding a cue is a one-line
change with a test.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Theme:
    key: str
    label: Promise
    # Word prefixes (matched at the start of a word) and phrases (matched anywhere).
    prefixes: tuple[str, ...]
    phrases: tuple[str, ...] = ()


THEMES: tuple[Theme, ...] = (
    Theme("empathy", _("Listened to and understood"),
          ("ascolt", "compres", "capit", "gentil", "cortes", "disponibil", "umano", "empat",
           "rispett", "listen", "understood", "understand", "kind", "polite", "courteous",
           "respect", "human", "patient", "pazien")),
    Theme("pressure", _("Felt pressured or treated rudely"),
          ("maleduc", "aggress", "minacc", "insisten", "pression", "scortes", "arrogan",
           "rude", "threat", "pushy", "harass", "pressur", "insult"),
          ("too many calls", "troppe chiamate", "troppe telefonate")),
    Theme("flexibility", _("Payment options and flexibility"),
          ("rate", "rateizz", "dilazion", "flessib", "piano", "instal", "plan", "flexib",
           "extension", "proroga")),
    Theme("billing", _("Invoice or billing problem"),
          ("fattur", "errat", "sbagliat", "errore", "doppi", "invoice", "bill", "wrong",
           "mistake", "error", "duplicate", "credit note", "nota di credito")),
    Theme("clarity", _("Clear information"),
          ("chiar", "spieg", "informaz", "trasparen", "clear", "explain", "inform",
           "transparen", "confus")),
    Theme("speed", _("Quick and easy"),
          ("veloc", "rapid", "semplic", "facil", "subito", "quick", "fast", "easy", "simple",
           "prompt", "smooth")),
    Theme("reachability", _("Waiting or hard to reach"),
          ("attes", "aspett", "irraggiung", "wait", "hold", "unreachable", "callback"),
          ("nessuno risponde", "no one answered", "nobody answered", "never called back",
           "mai richiamato")),
)
BY_KEY = {theme.key: theme for theme in THEMES}
OTHER_LABEL = _("Other")

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case without accents, so "perché" and "perche" read the same."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def themes_for(comment: str) -> list[str]:
    """The keys of the themes a comment touches, in the lexicon's order."""
    text = normalise(comment)
    words = _WORD.findall(text)
    return [theme.key for theme in THEMES
            if any(word.startswith(prefix) for word in words for prefix in theme.prefixes)
            or any(phrase in text for phrase in theme.phrases)]


def label(key: str) -> Promise:
    theme = BY_KEY.get(key)
    return theme.label if theme else OTHER_LABEL
