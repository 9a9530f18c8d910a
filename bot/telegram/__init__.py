"""The Telegram channel: an aiogram 3 bot over the channel-neutral conversation core."""
