prompt "a forest"

scene a
    prompt "a lake"
