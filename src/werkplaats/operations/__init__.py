"""Operations: the task queue and its schedule, messages (e-mail, text), health, backups."""
