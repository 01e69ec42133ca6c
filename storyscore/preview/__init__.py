"""``storyscore preview``: the story in the browser, following every save.

``state`` turns the script into what the page shows (pages, side panel,
timeline, the current error); ``server`` serves it on loopback and pushes each
rebuild to the page as a server-sent event; ``assets`` is the page itself.
"""
