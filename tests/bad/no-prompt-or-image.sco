scene a
    narrate "Nothing to paint."
