scene a
    prompt "a forest" @
