scene a 8
    prompt "a forest"
