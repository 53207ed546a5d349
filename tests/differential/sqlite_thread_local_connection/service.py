from store import Tags, add_note, notes_of

TAGS = Tags("notes.db")


async def remember(owner, body):
    add_note(owner, body)
    TAGS.tag(body, owner[0])
    return notes_of(owner)


async def all_tags():
    return TAGS.tags()
