scene a
    prompt "a forest"
    narrate """
        Once upon a time
