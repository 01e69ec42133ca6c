scene a
    prompt "a forest"
    music mood joyfull
