scene a
    prompt "a forest"
    prompt "a lake"
