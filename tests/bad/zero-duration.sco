scene a 0s
    prompt "a forest"
