"""
Reading level of a material, honest about its formula. Pure functions, no database.

- English: the Flesch-Kincaid grade, 0.39 x (words / sentence) + 11.8 x (syllables / word) - 15.59.
- Spanish: the Fernandez Huerta index (1959), 206.84 - 60 x (syllables / word) - 1.02 x (words / sentence),
  an adaptation of Flesch's reading ease: 0-100, higher is easier. It is not a grade; Fernandez Huerta kept
  Flesch's table of reading ease to school grade, which is how an approximate grade is shown beside it.

Sentences are counted by textstat (`sentence_count`). Syllables are counted here: textstat 0.7 counts English
syllables with the CMU Pronouncing Dictionary, which it downloads through NLTK at run time (a request would
reach the internet, and offline it fails). Its fallback, Pyphen's hyphenation patterns, undercounts badly
("medicine" as 1, "about" as 1), which would flatter every grade. So an English word counts as the larger of
its Pyphen count and a vowel-group estimate; a Spanish word by its vowel nuclei (Spanish spelling is regular:
a strong vowel pair a/e/o, or an accented i/u, is a hiatus, anything else a diphthong). Both are estimates,
and the page says so.

Health-literacy guidance (AHRQ, CDC Clear Communication Index) asks for grade 6-8 or lower.
"""

import functools
import re
from dataclasses import dataclass

import textstat
from pyphen import Pyphen

from .markup import to_plain

TARGET_GRADE = 8.0
FLESCH_KINCAID = "flesch-kincaid"
FERNANDEZ_HUERTA = "fernandez-huerta"

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*(?:-[^\W\d_]+(?:['\u2019][^\W\d_]+)*)*", re.UNICODE)
_EN_VOWEL_GROUP = re.compile(r"[aeiouy]+")
# Vowel pairs that are usually two syllables in English: di-a-betes, o-pi-oid, vi-deo, ac-tu-al, flu-id.
_EN_SPLIT_PAIRS = re.compile(r"(?<![tsc])i[aou]|eo|(?<![gq])u[aio]|ie(?=r|t)")
_ES_VOWELS = frozenset("aeiouáéíóúü")
_ES_STRONG = frozenset("aeoáéíóú")

# Flesch's (1949) reading-ease bands with their school grades, as Fernandez Huerta carried them over.
# (lowest score of the band, grade used for the target check, the band's words in Spanish and English)
EASE_BANDS = [
    (90.0, 5.0, "muy fácil", "5th grade"),
    (80.0, 6.0, "fácil", "6th grade"),
    (70.0, 7.0, "bastante fácil", "7th grade"),
    (60.0, 9.0, "normal", "8th-9th grade"),
    (50.0, 12.0, "bastante difícil", "10th-12th grade"),
    (30.0, 16.0, "difícil", "college"),
    (float("-inf"), 18.0, "muy difícil", "college graduate"),
]


@dataclass(frozen=True)
class ReadingLevel:
    """A material's reading level: the formula used, its raw score, and the school grade it stands for."""

    language: str
    formula: str
    score: float
    grade: float
    words: int
    sentences: int
    band: str = ""

    @property
    def above_target(self) -> bool:
        return self.grade > TARGET_GRADE

    @property
    def label(self) -> str:
        if self.formula == FLESCH_KINCAID:
            return f"Grade {self.grade:.1f} (Flesch-Kincaid)"
        return f"Fernández Huerta {self.score:.0f}: {self.band}"

    @property
    def explanation(self) -> str:
        if self.formula == FLESCH_KINCAID:
            return "Flesch-Kincaid grade, estimated (syllables by hyphenation and vowel groups)."
        grade = next(words for low, _, _, words in EASE_BANDS if self.score >= low)
        return (
            "Fernández Huerta reading ease (0-100, higher is easier), estimated. On Flesch's table it "
            f"corresponds to about {grade}."
        )


@functools.cache
def _pyphen_en() -> Pyphen:
    return Pyphen(lang="en_US")


def english_syllables(word: str) -> int:
    """The syllables of an English word: the larger of Pyphen's count and a vowel-group estimate."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    count = len(_EN_VOWEL_GROUP.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye", "ie")) and count > 1:
        count -= 1  # silent final e: make, medicine
    elif w.endswith("le") and w[-3] in "aeiouy" and count > 1:
        count -= 1  # whole, while (but ta-ble keeps it)
    elif w.endswith("ed") and w[-3] not in "td" and count > 1:
        count -= 1  # baked, helped (but want-ed keeps it)
    elif w.endswith("es") and w[-3] not in "sxzcgh" and not w.endswith(("ies", "ees")) and count > 1:
        count -= 1  # makes, times (but box-es, wish-es, pa-ges keep it)
    count += len(_EN_SPLIT_PAIRS.findall(w))
    pyphen_count = len(_pyphen_en().positions(w)) + 1
    return max(1, count, pyphen_count)


def spanish_syllables(word: str) -> int:
    """The syllables of a Spanish word, by its vowel nuclei (strong-strong pairs and accented i/u split)."""
    count = 0
    previous = ""
    for ch in word.lower():
        if ch in _ES_VOWELS and (previous not in _ES_VOWELS or (previous in _ES_STRONG and ch in _ES_STRONG)):
            count += 1
        previous = ch
    return max(1, count)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def reading_level(text: str, language: str) -> ReadingLevel | None:
    """The reading level of a material's text (its markup included); None for an empty text or a language
    without a formula here (only English and Spanish have one)."""
    plain = to_plain(text, bullets=False)
    words = words_of(plain)
    if not words or language not in ("en", "es"):
        return None
    sentences = max(1, textstat.sentence_count(plain))
    per_sentence = len(words) / sentences
    if language == "en":
        per_word = sum(english_syllables(w) for part in words for w in part.split("-")) / len(words)
        grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
        return ReadingLevel("en", FLESCH_KINCAID, round(grade, 1), round(grade, 1), len(words), sentences)
    per_word = sum(spanish_syllables(w) for w in words) / len(words)
    score = round(206.84 - 60 * per_word - 1.02 * per_sentence, 1)
    _, grade, band, _ = next(b for b in EASE_BANDS if score >= b[0])
    return ReadingLevel("es", FERNANDEZ_HUERTA, score, grade, len(words), sentences, band)
