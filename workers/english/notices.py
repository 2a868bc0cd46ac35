"""What a result tells its reader when English is missing: sentences for an editor.

A warning says what is missing, why, and who can fix it, in words a person on a
news desk can act on; never a field name ("article.title_en: …"). The fix for a
missing model is an administrator's, so the sentences point to the README's
"Getting English" section, which the service also serves at
``/docs/getting-english`` (``service.app``).
"""

from __future__ import annotations

GETTING_ENGLISH = "see “Getting English” in the README, or /docs/getting-english on the server"

NO_MODELS = (
    "No English yet: this newsum server has no translation model, so the headline, "
    "the summary and the article stay in Chinese (the key terms have dictionary English). "
    "An administrator can add the models with `newsum models pull`, or "
    f"`newsum models import` where the server has no internet access — {GETTING_ENGLISH}."
)

NO_SUMMARY_MODEL = (
    "This server has no summary model, so the English summary is the article's key "
    "sentences, translated. An administrator can add one with "
    f"`newsum models pull summary` — {GETTING_ENGLISH}."
)

NO_TRANSLATION_MODEL = (
    "No English translation: this server has no translation model. An administrator "
    f"can add one with `newsum models pull translation` — {GETTING_ENGLISH}."
)

NO_ENGLISH_HEADLINE = (
    "The headline has no English yet: this server has no translation model. "
    f"An administrator can add one — {GETTING_ENGLISH}."
)

NOT_CHECKED = (
    "Names and numbers were not checked: there is no English summary to check them against."
)

TRADITIONAL_CONVERTED = (
    "The article is in traditional Chinese: it was converted to simplified characters "
    "for the models (the original text is kept beside it)."
)

NO_TRANSLATION_ASKED = "No full translation: it was not asked for (translate=false)."

STRATEGY_NAMES = {
    "translate-then-summarize": "translate, then summarize",
    "summarize-then-translate": "summarize, then translate",
    "direct": "direct Chinese-to-English summary",
    "direct-llm": "language-model brief",
    "extractive": "key sentences",
}


def strategy_name(strategy: str) -> str:
    """A summary method as the web page names it."""
    return STRATEGY_NAMES.get(strategy, strategy)


def fell_back(strategy: str) -> str:
    """The warning for a method that needs models this server lacks (profile auto)."""
    return (
        f"The “{strategy_name(strategy)}” method needs models this server does not have, "
        "so the summary is the article's key sentences instead."
    )


def partial_translation(strategy: str) -> str:
    """Why a summarize-first result has no full translation."""
    return (
        f"No full translation: the “{strategy_name(strategy)}” method translates only the "
        "sentences it selects; choose “translate, then summarize” for the whole article."
    )


def unsupported_numbers(numbers: str) -> str:
    """The warning for figures of the English summary (listed in ``numbers``) that the
    source does not support."""
    return (
        f"Check these figures before use: the English summary has {numbers}, "
        "which the Chinese article does not."
    )
