"""What the Telegram bot says on its own, in Russian (the core's texts come in replies)."""

from __future__ import annotations

from bot.core import wording

GREETING = (
    "Здравствуйте! Я виртуальный консультант по электронным госуслугам.\n\n"
    "Напишите вопрос своими словами или выберите тему ниже. "
    "Если я не смогу помочь, передам вопрос специалисту."
)
TOPICS = "Выберите тему:"
TOPIC_QUESTIONS = "Тема «{topic}». Выберите вопрос:"
TOPIC_GONE = "Эта тема больше не доступна, выберите другую: /start"
BACK_TO_TOPICS = "« Все темы"
HELP = (
    "Что я умею:\n"
    "- отвечать на вопросы об электронных госуслугах — просто напишите вопрос;\n"
    "- /start — темы и частые вопросы;\n"
    "- /operator — передать вопрос специалисту (можно сразу с текстом: /operator мой вопрос);\n"
    "- /status 123 — узнать статус обращения по номеру, /status — все ваши обращения;\n"
    "- /link — связать этот чат с чатом на сайте, чтобы видеть обращения из обоих;\n"
    "- /unlink — отменить эту связь;\n"
    "- /cancel — отменить текущее действие.\n\n"
    "К обращению можно приложить фото или документ (PNG, JPEG, PDF) — просто отправьте файл. "
    "Номер телефона оставлять не обязательно."
)
LINK_CODE = (
    "Ваш код для связи: <code>{code}</code>\n\n"
    "Откройте чат на сайте, нажмите «Связать с Telegram» и введите этот код в течение "
    "{minutes} минут. Код одноразовый, никому его не сообщайте.\n\n"
    "Если код показал сайт, отправьте здесь: /link и код, например /link 123456."
)
UNKNOWN_COMMAND = (
    "Команды {command} нет. Напишите вопрос словами или выберите: /start — темы и частые "
    "вопросы, /help — что я умею, /operator — передать вопрос специалисту, /status — ваши "
    "обращения."
)
UNKNOWN_BUTTON = "Эта кнопка больше не работает. Напишите вопрос или откройте темы: /start"
CANCELLED = "Хорошо, отменили. Задайте вопрос, когда будет нужно."
STATUS_USAGE = "Напишите номер обращения цифрами, например: /status 123"
NO_TICKETS = "У вас пока нет обращений."
YOUR_TICKETS = "Ваши обращения:"
UNSUPPORTED = (
    "Я понимаю только текст, фотографии и документы. "
    "Напишите, пожалуйста, вопрос словами — или отправьте скан либо снимок экрана, "
    "если он нужен специалисту."
)
SECRET_WARNING = wording.SECRET_WARNING  # the widget says the same
SHARE_PHONE_BUTTON = "📱 Оставить номер телефона"
ASK_PERSON_BUTTON = "👤 Позвать специалиста"
PHONE_SAVED = "Спасибо, номер {phone} сохранён: специалист сможет перезвонить, если понадобится."
PHONE_FOR_TICKET = "Телефон для связи: {phone}"
# A phone typed in a message ("мой телефон 8 912 …") that went to the ticket's contacts.
TYPED_PHONE_ADDED = (
    "Спасибо, номер {phone} добавлен к обращению № {number}: специалист сможет перезвонить, "
    "если понадобится."
)
NOT_YOUR_CONTACT = (
    "Это чужой контакт. Чтобы оставить свой номер, нажмите кнопку «Оставить номер телефона»."
)
# A message edited by the citizen while people have their ticket, as the ticket's thread shows
# it: `sent` names the message corrected by the time it was first sent.
CORRECTED = "✏️ Исправлено (сообщение от {sent}): {text}"
FILE_TOO_BIG = "Файл «{name}» слишком большой: можно не больше {megabytes} МБ."
FILE_TICKET_QUESTION = "Гражданин прислал файл"
THANKS_FOR_RATING = "Спасибо за оценку!"
CHOSEN_MARK = "✅ {stars}"  # the mark a closed ticket was given, among the 1-5 buttons
ASK_COMMENT = (
    "Спасибо за оценку. Если хотите, ответьте на это сообщение и напишите, что было не так: "
    "специалисты прочитают и поправят ответ. Это необязательно."
)
COMMENT_PLACEHOLDER = "Что было не так?"
THANKS_FOR_COMMENT = "Спасибо! Комментарий передан специалистам."
COMMENT_CORRECTED = "Спасибо, комментарий исправлен: специалисты прочитают новый текст."
RATE_UP = "👍 Помогло"
RATE_DOWN = "👎 Не помогло"
SOMETHING_WENT_WRONG = (
    "Извините, что-то пошло не так. Попробуйте ещё раз чуть позже или напишите /operator."
)
