"""Realistic, invented identities for the demo: names, addresses, phones, tax identifiers.

Everything is drawn from a `random.Random` the caller owns, so the same seed gives the same
people. Identifiers carry valid check digits (python-stdnum validates them) and every phone
number is one `phonenumbers.is_valid_number` accepts. Where a country reserves numbers for
fiction (Ofcom's drama ranges in the UK, 555-01XX in North America) the demo uses them, so a
demo never holds a stranger's real landline; e-mail addresses use the reserved `.example`
top-level domain (RFC 2606).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import timezone as phone_timezone
from stdnum import luhn
from stdnum.it import codicefiscale

NumberBuilder = Callable[[random.Random], str]


@dataclass(frozen=True)
class Place:
    city: str
    region: str          # province (IT), nation (GB: ENG/SCT/WLS, for bank holidays), state (US)
    postal: tuple[str, ...]  # IT: CAP range (lo, hi); GB: outward codes; US: ZIP range
    phone_prefixes: tuple[str, ...]  # national landline prefix(es)/area codes
    code: str = ""       # IT: cadastral code of the comune (codice fiscale); IT VAT office


# --- Italy --------------------------------------------------------------------------------
# (city, province, CAP range, landline prefix, cadastral code, VAT office of the province)
_IT = [
    ("Milano", "MI", ("20121", "20162"), "02", "F205", "015"),
    ("Monza", "MB", ("20900", "20900"), "039", "F704", "015"),
    ("Bergamo", "BG", ("24121", "24129"), "035", "A794", "016"),
    ("Brescia", "BS", ("25121", "25136"), "030", "B157", "017"),
    ("Como", "CO", ("22100", "22100"), "031", "C933", "013"),
    ("Varese", "VA", ("21100", "21100"), "0332", "L682", "012"),
    ("Pavia", "PV", ("27100", "27100"), "0382", "G388", "018"),
    ("Lodi", "LO", ("26900", "26900"), "0371", "E648", "098"),
    ("Cremona", "CR", ("26100", "26100"), "0372", "D150", "019"),
    ("Mantova", "MN", ("46100", "46100"), "0376", "E897", "020"),
    ("Lecco", "LC", ("23900", "23900"), "0341", "E507", "097"),
    ("Sondrio", "SO", ("23100", "23100"), "0342", "I829", "014"),
    ("Torino", "TO", ("10121", "10156"), "011", "L219", "001"),
    ("Genova", "GE", ("16121", "16167"), "010", "D969", "010"),
    ("Verona", "VR", ("37121", "37142"), "045", "L781", "023"),
    ("Padova", "PD", ("35121", "35143"), "049", "G224", "028"),
    ("Venezia", "VE", ("30121", "30176"), "041", "L736", "027"),
    ("Bologna", "BO", ("40121", "40141"), "051", "A944", "037"),
    ("Firenze", "FI", ("50121", "50145"), "055", "D612", "048"),
    ("Roma", "RM", ("00118", "00199"), "06", "H501", "058"),
    ("Napoli", "NA", ("80121", "80147"), "081", "F839", "063"),
    ("Bari", "BA", ("70121", "70132"), "080", "A662", "072"),
    ("Palermo", "PA", ("90121", "90151"), "091", "G273", "082"),
]
IT_LOMBARDY = [row for row in _IT if row[1] in
               {"MI", "MB", "BG", "BS", "CO", "VA", "PV", "LO", "CR", "MN", "LC", "SO"}]
IT_ALL = _IT

_IT_MALE = ["Marco", "Luca", "Andrea", "Matteo", "Davide", "Paolo", "Simone", "Stefano",
            "Giuseppe", "Francesco", "Alessandro", "Lorenzo", "Roberto", "Giovanni", "Antonio",
            "Fabio", "Massimo", "Riccardo", "Emanuele", "Tommaso"]
_IT_FEMALE = ["Giulia", "Sara", "Francesca", "Chiara", "Elena", "Anna", "Laura", "Martina",
              "Valentina", "Alessia", "Federica", "Silvia", "Roberta", "Paola", "Maria",
              "Giorgia", "Beatrice", "Marta", "Ilaria", "Caterina"]
_IT_LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
            "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo",
            "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis",
            "D'Angelo", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri",
            "Bianco", "Marini", "Grasso", "Valentini", "Messina", "Sala", "De Angelis",
            "Gatti", "Pellegrini", "Palumbo", "Sanna", "Farina", "Rizzi", "Monti"]
_IT_STREETS = ["Via Roma", "Via Garibaldi", "Via Mazzini", "Via Dante Alighieri",
               "Via Manzoni", "Via Giuseppe Verdi", "Corso Italia", "Via XX Settembre",
               "Via Cavour", "Via Matteotti", "Viale Europa", "Via dei Mille", "Via Carducci",
               "Via Leopardi", "Via Marconi", "Via Alessandro Volta", "Via San Francesco",
               "Via Nazionale", "Viale della Repubblica", "Via Vittorio Veneto",
               "Piazza della Libertà", "Via Monte Grappa", "Via Trieste", "Via Gramsci"]
# Italian mobile prefixes in use (TIM 33x, Vodafone 34x, Wind Tre 32x/38x, Iliad 351/352).
_IT_MOBILE = ["320", "324", "327", "328", "329", "330", "333", "334", "335", "338", "339",
              "340", "342", "345", "346", "347", "348", "349", "351", "352", "366", "368",
              "380", "388", "389", "391", "392", "393"]
# (label, company-name patterns, typical founded range)
IT_SECTORS = [
    ("metalworking", ["{l} Meccanica S.r.l.", "Officine {l} S.p.A.", "Carpenteria {l} S.r.l."]),
    ("construction", ["Costruzioni {l} S.r.l.", "Edil {l} S.n.c.", "{l} Costruzioni S.p.A."]),
    ("electrical installation", ["{l} Impianti S.r.l.", "Elettro {l} S.n.c."]),
    ("plumbing and heating", ["Idraulica {l} S.n.c.", "Termoidraulica {l} S.r.l."]),
    ("food wholesale", ["{l} Alimentari S.r.l.", "Distribuzione {l} S.p.A."]),
    ("logistics", ["Trasporti {l} S.r.l.", "{l} Logistica S.r.l."]),
    ("plastics", ["{l} Plastica S.r.l.", "Stampaggio {l} S.r.l."]),
    ("automotive parts", ["Autoricambi {l} S.r.l.", "{l} Componenti Auto S.p.A."]),
    ("furniture", ["Mobilificio {l} S.r.l.", "{l} Arredamenti S.n.c."]),
    ("agriculture", ["Azienda Agricola {l}", "{l} Agricola S.s."]),
    ("hospitality", ["Ristorante da {f}", "Hotel {l} S.r.l.", "Bar {l} S.n.c."]),
    ("retail", ["Ferramenta {l} S.n.c.", "{l} Casa S.r.l.", "Market {l} S.r.l."]),
]


def _plain_letters(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalpha() and ch.isascii()).upper()


def _cf_part(text: str, *, first_name: bool) -> str:
    letters = _plain_letters(text)
    consonants = [ch for ch in letters if ch not in "AEIOU"]
    vowels = [ch for ch in letters if ch in "AEIOU"]
    if first_name and len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return ("".join(consonants + vowels) + "XXX")[:3]


def codice_fiscale(*, first: str, last: str, born: tuple[int, int, int], female: bool,
                   comune: str) -> str:
    """The Italian personal tax code (codice fiscale) with its check letter."""
    year, month, day = born
    body = (_cf_part(last, first_name=False) + _cf_part(first, first_name=True)
            + f"{year % 100:02d}" + "ABCDEHLMPRST"[month - 1]
            + f"{day + (40 if female else 0):02d}" + comune)
    return body + codicefiscale.calc_check_digit(body)


def it_vat_number(rng: random.Random, office: str) -> str:
    """An 11-digit partita IVA: company number, provincial office, Luhn check digit."""
    body = f"{rng.randint(1, 9_999_999):07d}{office}"
    return body + luhn.calc_check_digit(body)


def gb_vat_number(rng: random.Random) -> str:
    """A GB VAT number: seven digits and two mod-97 check digits."""
    digits = f"{rng.randint(1_000_000, 9_999_999)}"
    total = sum(w * int(d) for w, d in zip((8, 7, 6, 5, 4, 3, 2), digits, strict=True))
    return f"GB{digits}{(-total) % 97:02d}"


# IRS campus prefixes python-stdnum accepts (stdnum.us.ein) — a sample.
_EIN_PREFIXES = ["10", "12", "20", "27", "30", "35", "36", "38", "41", "45", "46", "47", "51",
                 "52", "61", "62", "71", "72", "81", "82", "84", "86", "88", "91", "92", "95"]


def us_ein(rng: random.Random) -> str:
    return f"{rng.choice(_EIN_PREFIXES)}-{rng.randint(0, 9_999_999):07d}"


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10 ** count):0{count}d}"


# Zones follow a number's leading digits (phonenumbers looks them up by prefix), so one look-up
# per prefix serves every number under it: a third of the generator's time saved.
_ZONES_BY_PREFIX: dict[str, list[str]] = {}


def phone_pick(rng: random.Random, build: NumberBuilder) -> tuple[str, list[str]]:
    """Draw numbers from `build(rng)` until phonenumbers accepts one; its E.164 form and zones."""
    for _attempt in range(50):
        e164 = build(rng)
        number = phonenumbers.parse(e164)
        if phonenumbers.is_valid_number(number):
            zones = _ZONES_BY_PREFIX.get(e164[:8])
            if zones is None:
                zones = [zone for zone in phone_timezone.time_zones_for_number(number)
                         if zone != phone_timezone.UNKNOWN_TIMEZONE]
                _ZONES_BY_PREFIX[e164[:8]] = zones
            return e164, list(zones)
    raise AssertionError(f"no valid number drawn by {build!r}")


def it_landline(prefix: str) -> NumberBuilder:
    # Italian geographic numbers are 6 to 11 digits including the prefix: 10 is the common case.
    return lambda rng: f"+39{prefix}{_digits(rng, 10 - len(prefix))}"


def it_mobile(rng: random.Random) -> str:
    return f"+39{rng.choice(_IT_MOBILE)}{_digits(rng, 7)}"


# --- United Kingdom -----------------------------------------------------------------------
# (city, nation, outward codes, Ofcom drama-range landline prefix: 1000 numbers each)
_GB = [
    ("London", "ENG", ("E1", "E8", "N1", "N7", "SE1", "SE15", "SW2", "SW11", "W3", "NW5"),
     "+44207946"),
    ("Manchester", "ENG", ("M1", "M4", "M14", "M20"), "+441614960"),
    ("Birmingham", "ENG", ("B1", "B5", "B13", "B29"), "+441214960"),
    ("Leeds", "ENG", ("LS1", "LS6", "LS8", "LS11"), "+441134960"),
    ("Bristol", "ENG", ("BS1", "BS3", "BS6", "BS8"), "+441174960"),
    ("Glasgow", "SCT", ("G1", "G3", "G12", "G41"), "+441414960"),
    ("Edinburgh", "SCT", ("EH1", "EH3", "EH6", "EH10"), "+441314960"),
    ("Cardiff", "WLS", ("CF10", "CF11", "CF14", "CF24"), "+44292018"),
]
_GB_FIRST = ["Oliver", "Amelia", "Jack", "Isla", "Harry", "Ava", "George", "Emily", "Charlie",
             "Sophie", "Thomas", "Grace", "James", "Lily", "William", "Chloe", "Daniel",
             "Hannah", "Samuel", "Lucy", "Mohammed", "Priya", "Aisha", "Rajesh", "Fiona",
             "Callum", "Rhys", "Megan"]
_GB_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Patel", "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts",
            "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards",
            "Campbell", "MacDonald", "Stewart", "Morgan", "Price", "Ali"]
_GB_STREETS = ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue",
               "Mill Lane", "King Street", "Queen's Road", "Albert Street", "Manor Road",
               "Green Lane", "The Crescent", "Kingsway", "Castle Street", "New Road"]
GB_SECTORS = [
    ("construction", ["{l} Building Services Ltd", "{l} & Sons Builders Ltd",
                      "{c} Construction Ltd"]),
    ("joinery", ["{l} Joinery Ltd", "{c} Carpentry Ltd"]),
    ("plumbing and heating", ["{l} Plumbing & Heating Ltd", "{c} Boilers Ltd"]),
    ("electrical installation", ["{l} Electrical Contractors Ltd", "{c} Sparks Ltd"]),
    ("property maintenance", ["{l} Property Maintenance Ltd", "{c} Facilities Ltd"]),
    ("landscaping", ["{l} Landscapes Ltd", "{c} Garden Services Ltd"]),
]


def gb_landline(prefix: str) -> NumberBuilder:
    return lambda rng: f"{prefix}{_digits(rng, 13 - len(prefix))}"


def gb_mobile(rng: random.Random) -> str:
    # 07700 900xxx is Ofcom's drama range but libphonenumber calls it invalid: use 074-079.
    return f"+447{rng.randint(4, 9)}{_digits(rng, 8)}"


# --- United States ------------------------------------------------------------------------
# (city, state, ZIP range, area codes)
_US = [
    ("New York", "NY", ("10001", "10040"), ("212", "646", "917")),
    ("Brooklyn", "NY", ("11201", "11239"), ("718", "347")),
    ("Philadelphia", "PA", ("19102", "19154"), ("215", "267")),
    ("Boston", "MA", ("02108", "02136"), ("617",)),
    ("Atlanta", "GA", ("30303", "30350"), ("404", "678")),
    ("Miami", "FL", ("33125", "33199"), ("305", "786")),
    ("Orlando", "FL", ("32801", "32839"), ("407",)),
    ("Columbus", "OH", ("43201", "43235"), ("614",)),
    ("Chicago", "IL", ("60601", "60661"), ("312", "773")),
    ("Minneapolis", "MN", ("55401", "55488"), ("612",)),
    ("Houston", "TX", ("77002", "77099"), ("713", "832")),
    ("Dallas", "TX", ("75201", "75254"), ("214", "469")),
    ("Austin", "TX", ("78701", "78759"), ("512",)),
    ("Denver", "CO", ("80202", "80249"), ("303", "720")),
    ("Phoenix", "AZ", ("85003", "85054"), ("602", "480")),
    ("Los Angeles", "CA", ("90001", "90089"), ("213", "310", "323")),
    ("San Francisco", "CA", ("94102", "94134"), ("415",)),
    ("San Diego", "CA", ("92101", "92139"), ("619", "858")),
    ("Seattle", "WA", ("98101", "98199"), ("206",)),
]
_US_FIRST = ["James", "Mary", "Michael", "Patricia", "Robert", "Jennifer", "David", "Linda",
             "Emily", "Ethan", "Olivia", "Noah", "Aaliyah", "DeShawn", "Wei", "Mei", "Priya",
             "Kevin", "Ashley", "Brandon"]
_US_FIRST_HISPANIC = ["Maria", "Jose", "Carlos", "Sofia", "Luis", "Ana", "Miguel", "Gabriela"]
_US_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee", "Nguyen", "Chen", "Kim",
            "Patel", "Harris", "Clark", "Lewis", "Walker"]
_US_LAST_HISPANIC = ["Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
                     "Perez", "Sanchez", "Ramirez", "Torres"]
_US_STREETS = ["Main St", "Oak Ave", "Maple St", "Park Ave", "Elm St", "Washington Blvd",
               "Lake Shore Dr", "2nd St", "Cedar Ln", "Pine St", "Sunset Blvd", "Broadway",
               "Jefferson Ave", "Lincoln Way", "Highland Ave"]
US_SECTORS = [
    ("physician practice", ["{l} Family Practice", "{c} Internal Medicine Group",
                            "{l} Pediatrics LLC"]),
    ("dental practice", ["{c} Dental Group", "{l} Family Dentistry PC"]),
    ("physical therapy", ["{c} Physical Therapy LLC", "{l} Rehab & Sports Medicine"]),
    ("home health", ["{c} Home Health Services Inc.", "{l} Home Care LLC"]),
    ("pharmacy", ["{l} Pharmacy", "{c} Community Pharmacy Inc."]),
]


def us_number(area_code: str) -> NumberBuilder:
    # 555-0100 to 555-0199 is reserved for fiction in every North American area code.
    return lambda rng: f"+1{area_code}55501{_digits(rng, 2)}"


@dataclass
class Identity:
    kind: str
    name: str
    country: str
    region: str
    city: str
    postal_code: str
    address_line: str
    language: str
    vat_number: str = ""
    tax_code: str = ""
    sector: str = ""
    founded_year: int | None = None
    phone: tuple[str, list[str]] | None = None   # landline (E.164, zones)
    mobile: tuple[str, list[str]] | None = None
    email: str = ""


def _slug(text: str) -> str:
    return "".join(ch for ch in _plain_letters(text).lower() if ch.isalnum())[:24] or "mail"


def _range_pick(rng: random.Random, low: str, high: str) -> str:
    return f"{rng.randint(int(low), int(high)):0{len(low)}d}"


def italian_identity(rng: random.Random, *, kind: str, places: list[tuple], today_year: int
                     ) -> Identity:
    city, province, cap, prefix, comune, office = rng.choice(places)
    address = f"{rng.choice(_IT_STREETS)} {rng.randint(1, 180)}"
    last = rng.choice(_IT_LAST)
    female = rng.random() < 0.5
    first = rng.choice(_IT_FEMALE if female else _IT_MALE)
    identity = Identity(kind=kind, name="", country="IT", region=province, city=city,
                        postal_code=_range_pick(rng, *cap), address_line=address, language="it")
    if kind == "consumer":
        identity.name = f"{first} {last}"
        born = (rng.randint(today_year - 85, today_year - 20), rng.randint(1, 12),
                rng.randint(1, 28))
        identity.tax_code = codice_fiscale(first=first, last=last, born=born, female=female,
                                           comune=comune)
        identity.mobile = phone_pick(rng, it_mobile)
        if rng.random() < 0.35:
            identity.phone = phone_pick(rng, it_landline(prefix))
        if rng.random() < 0.6:
            identity.email = f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@posta.example"
    else:
        sector, patterns = rng.choice(IT_SECTORS)
        identity.name = rng.choice(patterns).format(l=last, f=first, c=city)
        identity.sector = sector
        identity.founded_year = rng.randint(max(1950, today_year - 70), today_year - 1)
        identity.vat_number = it_vat_number(rng, office)
        identity.tax_code = identity.vat_number  # a company's codice fiscale is its partita IVA
        identity.phone = phone_pick(rng, it_landline(prefix))
        if rng.random() < 0.5:
            identity.mobile = phone_pick(rng, it_mobile)
        identity.email = f"amministrazione@{_slug(identity.name)}.example"
    return identity


def british_identity(rng: random.Random, *, kind: str, today_year: int) -> Identity:
    city, nation, outward, drama = rng.choice(_GB)
    postcode = (f"{rng.choice(outward)} {rng.randint(1, 9)}"
                f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")
    first, last = rng.choice(_GB_FIRST), rng.choice(_GB_LAST)
    identity = Identity(kind=kind, name="", country="GB", region=nation, city=city,
                        postal_code=postcode,
                        address_line=f"{rng.randint(1, 240)} {rng.choice(_GB_STREETS)}",
                        language="en")
    if kind == "consumer":
        identity.name = f"{first} {last}"
        identity.mobile = phone_pick(rng, gb_mobile)
        if rng.random() < 0.3:
            identity.phone = phone_pick(rng, gb_landline(drama))
        if rng.random() < 0.7:
            identity.email = f"{_slug(first)}.{_slug(last)}{rng.randint(1, 99)}@mail.example"
    else:
        sector, patterns = rng.choice(GB_SECTORS)
        identity.name = rng.choice(patterns).format(l=last, c=city)
        identity.sector = sector
        identity.founded_year = rng.randint(max(1960, today_year - 60), today_year - 1)
        if rng.random() < 0.8:  # small traders below the VAT threshold have none
            identity.vat_number = gb_vat_number(rng)
        identity.phone = phone_pick(rng, gb_landline(drama))
        identity.mobile = phone_pick(rng, gb_mobile)
        identity.email = f"accounts@{_slug(identity.name)}.example"
    return identity


def american_identity(rng: random.Random, *, kind: str, today_year: int) -> Identity:
    city, state, zips, area_codes = rng.choice(_US)
    hispanic = state in {"TX", "CA", "FL", "AZ"} and rng.random() < 0.4
    first = rng.choice(_US_FIRST_HISPANIC if hispanic else _US_FIRST)
    last = rng.choice(_US_LAST_HISPANIC if hispanic else _US_LAST)
    identity = Identity(kind=kind, name="", country="US", region=state, city=city,
                        postal_code=_range_pick(rng, *zips),
                        address_line=f"{rng.randint(100, 9899)} {rng.choice(_US_STREETS)}",
                        language="es" if hispanic and rng.random() < 0.5 else "en")
    if kind == "consumer":
        identity.name = f"{first} {last}"
        # People keep their mobile number when they move: about one in five carries an area
        # code from another state, often in another time zone (call hours follow the address).
        if rng.random() < 0.2:
            _c, _s, _z, other_codes = rng.choice([row for row in _US if row[1] != state])
            identity.mobile = phone_pick(rng, us_number(rng.choice(other_codes)))
        else:
            identity.mobile = phone_pick(rng, us_number(rng.choice(area_codes)))
        if rng.random() < 0.25:
            identity.phone = phone_pick(rng, us_number(rng.choice(area_codes)))
        if rng.random() < 0.7:
            identity.email = f"{_slug(first)}{_slug(last)}{rng.randint(1, 999)}@mail.example"
    else:
        sector, patterns = rng.choice(US_SECTORS)
        identity.name = rng.choice(patterns).format(l=last, c=city)
        identity.sector = sector
        identity.founded_year = rng.randint(max(1960, today_year - 50), today_year - 1)
        identity.tax_code = us_ein(rng)
        identity.phone = phone_pick(rng, us_number(rng.choice(area_codes)))
        identity.email = f"billing@{_slug(identity.name)}.example"
    return identity
