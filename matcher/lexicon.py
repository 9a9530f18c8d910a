"""Constant word tables for Russian questions about public e-services."""

from __future__ import annotations

# Abbreviations and domain terms that pymorphy3 does not know or would mangle. They are kept
# as they are, and their case endings ("СНИЛСа", "ЭПТСом") are dropped.
ABBREVIATIONS = frozenset(
    {
        "эптс",
        "птс",
        "стс",
        "епгу",
        "есиа",
        "лк",
        "мфц",
        "гибдд",
        "снилс",
        "инн",
        "огрн",
        "огрнип",
        "ип",
        "юл",
        "фл",
        "фнс",
        "пфр",
        "сфр",
        "мвд",
        "гаи",
        "осаго",
        "каско",
        "вин",
        "смс",
        "цоз",
        "сэп",
        "эцп",
        "уэк",
        "тс",
        "рф",
        "пдн",
        "faq",
    }
)
ABBREVIATION_ENDINGS = ("ами", "ах", "ам", "ом", "ов", "ой", "а", "у", "е", "ы", "и")

# Latin words that are real terms, never text typed in the wrong layout.
LATIN_TERMS = frozenset(
    {
        "vin",
        "sms",
        "email",
        "e-mail",
        "mail",
        "pdf",
        "jpg",
        "jpeg",
        "png",
        "ios",
        "android",
        "iphone",
        "google",
        "chrome",
        "safari",
        "firefox",
        "yandex",
        "edge",
        "opera",
        "windows",
        "macos",
        "linux",
        "ok",
        "id",
        "url",
        "www",
        "http",
        "https",
        "ru",
        "com",
        "org",
        "telegram",
        "whatsapp",
        "viber",
        "vk",
        "youtube",
        "qr",
        "esia",
        "gosuslugi",
    }
)

# Latin spellings folded into the Cyrillic terms the knowledge base uses.
LATIN_ALIASES = {
    "vin": "вин",
    "sms": "смс",
    "email": "почта",
    "e-mail": "почта",
    "mail": "почта",
    "gosuslugi": "госуслуги",
    "esia": "есиа",
}

# Words that carry no meaning for matching: function words and question words.
STOP_WORDS = frozenset(
    """
    а и или но да же ли бы то ни не нет ну вот вон уж еще ещё уже лишь только даже именно
    в во на над под подо за из изо к ко с со у о об обо от ото до по при про для без через
    перед между сквозь вокруг около возле после ради среди
    я ты он она оно мы вы они меня мне мной тебя тебе тобой его ему им ним нем нём ее её ей нее
    неё нас нам нами вас вам вами их ими них себя себе собой свой своя свое своё свои мой моя
    мое моё мои твой ваш ваша ваше ваши наш наша наше наши этот эта это эти тот та те такой
    такая такое такие весь вся всё все сам сама само сами
    кто что какой какая какое какие каков чей где куда откуда когда зачем почему отчего сколько
    как каким образом ли
    быть есть был была было были будет будут являться
    это то тут там здесь так также тоже очень просто вообще всего всегда никогда иногда
    если чтобы чтоб потому поэтому так-как ибо пока раз
    можно нужно надо нельзя должен должна должно должны мочь смочь
    """.split()
)

# Courtesy and filler that wraps a question without changing it. A question made of nothing
# else keeps them (so "здравствуйте" alone is still understood as a greeting).
FILLER_WORDS = frozenset(
    """
    здравствуйте здравствуй привет приветствую добрый доброе добрая день утро вечер ночь
    пожалуйста подсказать сказать помочь помогите подскажите скажите объясните пояснить
    уважаемый уважаемая спасибо заранее благодарить здрасте здрасьте алло хотеть хотеться
    вопросик интересовать спросить извинить извините прошу просить здравствовать
    приветствовать благодарить объяснить подсказывать помогать пожалуй
    """.split()
)
